"""Plain-text and Markdown tables of a comparison: one line per metric and process, the verdict last."""

from __future__ import annotations

from datetime import tzinfo

from soakwatch.verify.compare import cells, comparison
from soakwatch.verify.compare.comparison import Comparison
from soakwatch.verify.compare.judge import IMPROVED, NO_REGRESSION, REGRESSION
from soakwatch.verify.compare.series import Side
from soakwatch.verify.formats.values import duration
from soakwatch.verify.window import Window

_COLORS = {REGRESSION: "31", IMPROVED: "32", NO_REGRESSION: "32"}


def sides(c: Comparison, tz: tzinfo) -> list[str]:
    """One line per side: its name, source and window."""
    return [f"{name}: {_window(side, tz)}, {side.label}" for name, side in comparison.sides(c.baselines, c.candidate)]


def _window(side: Side, tz: tzinfo) -> str:
    w = Window(side.start, side.end)
    return f"{w.iso(w.start, tz)} .. {w.iso(w.end, tz)} ({duration(w.seconds)})"


def render(c: Comparison, tz: tzinfo, color: bool = False) -> str:
    rows = [cells.row(j) for j in c.judgements]
    widths = [max(len(r[i]) for r in [cells.HEADER, *rows]) for i in range(len(cells.HEADER))]
    lines = [*sides(c, tz), "", _line(cells.HEADER, widths)]
    for j, cols in zip(c.judgements, rows, strict=True):
        line = _line(cols, widths)
        if color and j.status in _COLORS:
            padded = cols[2].ljust(widths[2])
            line = line.replace(padded, f"\x1b[{_COLORS[j.status]}m{padded}\x1b[0m", 1)
        lines.append(line)
    notes = [f"note: {j.label}: {j.note}" for j in c.judgements if j.note]
    return "\n".join([*lines, *(["", *notes] if notes else []), "", cells.verdict_line(c)]) + "\n"


def _line(cols: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(col.ljust(width) for col, width in zip(cols, widths, strict=True)).rstrip()


def markdown(c: Comparison, tz: tzinfo, color: bool = False) -> str:
    head = [f"# Soak comparison: {c.verdict.upper()}", "", *(f"- {line}" for line in sides(c, tz)), "",
            "| " + " | ".join(h.lower() for h in cells.HEADER) + " |", "|" + "---|" * len(cells.HEADER)]
    rows = ["| " + " | ".join(col.replace("|", "\\|") for col in cells.row(j)) + " |" for j in c.judgements]
    notes = [f"- {j.label}: {j.note}" for j in c.judgements if j.note]
    return "\n".join([*head, *rows, "", *([*notes, ""] if notes else []), f"**{cells.verdict_line(c)}**"]) + "\n"
