"""Plain-text verdict: a table (one line per check), colour only on a terminal, the verdict on the last line."""

from __future__ import annotations

import textwrap
from datetime import tzinfo

from soakwatch.verify.engine import CriterionResult, Verdict
from soakwatch.verify.formats import values

_COLORS = {"pass": "32", "fail": "31", "no data": "31", "warn": "33"}
_HEADER = ("CRITERION", "RESULT", "CHECK", "MEASURED", "THRESHOLD", "DETAIL")
DETAIL_WIDTH = 60
_BREACH = {"critical": "fail", "warning": "warn"}


def render(verdict: Verdict, tz: tzinfo, color: bool = False) -> str:
    w = verdict.window
    rows = [(row, r.status if i == 0 else "") for r in verdict.results for i, row in enumerate(_rows(r))]
    widths = [max(len(row[i]) for row in [_HEADER, *(row for row, _ in rows)]) for i in range(len(_HEADER))]
    lines = [f"window {w.iso(w.start, tz)} .. {w.iso(w.end, tz)} ({values.duration(w.seconds)}), "
             f"source {verdict.url}",
             *([f"scope {verdict.target.headline()}"] if verdict.target else []),
             "", _line(_HEADER, widths)]
    for row, status in rows:
        line = _line(row, widths)
        if color and status:
            padded = row[1].ljust(widths[1])
            line = line.replace(padded, f"\x1b[{_COLORS[status]}m{padded}\x1b[0m", 1)
        lines.append(line)
    lines += ["", "data sources:", *(f"  {r.id}: {r.data_source}" for r in verdict.results)]
    verdict_text = values.verdict_line(verdict.results, verdict.passed, verdict.strict)
    if color:
        verdict_text = f"\x1b[1;{'32' if verdict.passed else '31'}m{verdict_text}\x1b[0m"
    return "\n".join([*lines, "", verdict_text]) + "\n"


def _rows(result: CriterionResult) -> list[tuple[str, ...]]:
    """The criterion's first check with its ID and result; one more line per further check; the detail
    wrapped down the last column (more lines when it is longer than the checks)."""
    cells: list[tuple[str, ...]] = []
    for index, check in enumerate(result.checks):
        first = index == 0
        measured = values.fmt(check.worst(), check.unit) + (f" ({_BREACH[result.severity]})" if check.failed else "")
        cells.append((result.id if first else "", result.status.upper() if first else "", check.name,
                      measured, values.threshold(check).removeprefix(f"{check.name} ")))
    detail = textwrap.wrap(values.detail(result), DETAIL_WIDTH, break_on_hyphens=False)
    cells += [("",) * 5] * (len(detail) - len(cells))
    return [(*row, detail[i] if i < len(detail) else "") for i, row in enumerate(cells)]


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

