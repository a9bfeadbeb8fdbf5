"""Plain-text verdict: one table row per criterion, colour only on a terminal, the verdict on the last line."""

from __future__ import annotations

from datetime import tzinfo

from soakwatch.verify.engine import Verdict
from soakwatch.verify.formats import values

_COLORS = {"pass": "32", "fail": "31", "no data": "31", "warn": "33"}
_HEADER = ("CRITERION", "RESULT", "MEASURED", "THRESHOLD", "DETAIL")
DETAIL_WIDTH = 72


def render(verdict: Verdict, tz: tzinfo, color: bool = False) -> str:
    w = verdict.window
    rows = [(r.id, r.status.upper(), values.measurements(r), values.thresholds(r), _clip(values.detail(r)))
            for r in verdict.results]
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(len(_HEADER))]
    lines = [f"window {w.iso(w.start, tz)} .. {w.iso(w.end, tz)} ({w.seconds / 60:g} min), source {verdict.url}", ""]
    lines.append(_row(_HEADER, widths))
    for row, result in zip(rows, verdict.results, strict=True):
        cells = list(row)
        line = _row(cells, widths)
        if color:
            padded = cells[1].ljust(widths[1])
            line = line.replace(padded, f"\x1b[{_COLORS[result.status]}m{padded}\x1b[0m", 1)
        lines.append(line)
    verdict_text = values.verdict_line(verdict.results, verdict.passed, verdict.strict)
    if color:
        verdict_text = f"\x1b[1;{'32' if verdict.passed else '31'}m{verdict_text}\x1b[0m"
    return "\n".join([*lines, "", verdict_text]) + "\n"


def _row(cells: tuple[str, ...] | list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _clip(text: str) -> str:
    return text if len(text) <= DETAIL_WIDTH else text[: DETAIL_WIDTH - 3] + "..."
