"""The verdict as Markdown (``--format markdown`` and ``report.md``)."""

from __future__ import annotations

from datetime import tzinfo

from soakwatch.verify.engine import Verdict
from soakwatch.verify.formats import values

_ICONS = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "no data": "NO DATA"}


def render(verdict: Verdict, tz: tzinfo, color: bool = False) -> str:
    w = verdict.window
    lines = [
        "# Soak verdict", "",
        f"- Window: {w.iso(w.start, tz)} .. {w.iso(w.end, tz)} ({values.duration(w.seconds)})",
        f"- Source: {verdict.url}",
        *([f"- Scope: {verdict.target.headline()}"] if verdict.target else []), "",
        "| criterion | result | measured | threshold | detail |", "|---|---|---|---|---|",
    ]
    for r in verdict.results:
        cells = (f"`{r.id}`", _ICONS[r.status], values.measurements(r), values.thresholds(r), values.detail(r))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    for r in verdict.results:
        lines += [f"## {r.id}: {_ICONS[r.status]}", "", r.description, "", f"- Data source: {r.data_source}"]
        lines += [f"- `{c.name} {c.op} {values.fmt(c.threshold, c.unit)}`: `{c.query}`" for c in r.checks]
        if r.per_process:
            lines += ["", "| process | result | values |", "|---|---|---|"]
            lines += [f"| {k} | {_ICONS[s]} | {_cell(v)} |" for k, s, v in values.per_key_rows(r)]
        lines.append("")
    lines.append(f"**{values.verdict_line(verdict.results, verdict.passed, verdict.strict)}**")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
