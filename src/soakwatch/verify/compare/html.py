"""The self-contained HTML report of a comparison: the table, then per metric and process the baselines and the
candidate overlaid on the candidate's time axis, with the tolerance limit of the baseline's statistic."""

from __future__ import annotations

from datetime import tzinfo
from html import escape

from soakwatch.verify.compare import cells, text
from soakwatch.verify.compare.comparison import Comparison
from soakwatch.verify.compare.judge import Judgement
from soakwatch.verify.compare.metrics import LOWER
from soakwatch.verify.compare.series import Side
from soakwatch.verify.formats import svg
from soakwatch.verify.formats.html import _CSP
from soakwatch.verify.querier import Series
from soakwatch.verify.window import Window

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
.regression,.insufficient-data{color:#d62728;font-weight:bold}.improved,.no-regression{color:#2ca02c}
code{background:#f4f4f4;padding:1px 3px;font-size:12px;word-break:break-all}section{margin:24px 0}
"""


def render(c: Comparison, tz: tzinfo, color: bool = False) -> str:
    head = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            f"<title>Soak comparison: {escape(c.verdict.upper())}</title><style>{_STYLE}</style></head><body>")
    intro = (f'<h1>Soak comparison: {_badge(c.verdict)}</h1><ul>'
             + "".join(f"<li>{escape(line)}</li>" for line in text.sides(c, tz)) + "</ul>")
    body = [head, intro, _table(c), *(_section(j, c, tz) for j in c.judgements)]
    return "".join(body) + f"<p><b>{escape(cells.verdict_line(c))}</b></p></body></html>\n"


def _badge(status: str) -> str:
    return f'<span class="{status.split(" (")[0].replace(" ", "-")}">{escape(status.upper())}</span>'


def _table(c: Comparison) -> str:
    head = "".join(f"<th>{escape(h.lower())}</th>" for h in cells.HEADER)
    rows = "".join("<tr>" + "".join(f"<td>{_badge(j.status) if i == 2 else escape(col)}</td>"
                                    for i, col in enumerate(cells.row(j))) + "</tr>" for j in c.judgements)
    return f"<table><tr>{head}</tr>{rows}</table>"


def _section(j: Judgement, c: Comparison, tz: tzinfo) -> str:
    cand = c.candidate
    length = max(side.end - side.start for side in (*c.baselines, cand))
    window = Window(cand.start, cand.start + length)
    series = [_shifted(side, f"baseline {i + 1}", j, cand.start) for i, side in enumerate(c.baselines)]
    series.append(_shifted(cand, "candidate", j, cand.start))
    plot = svg.plot([s for s in series if s.points], _limit(j), j.metric.unit, window, tz,
                    f"{j.label}: baselines and candidate")
    note = f"<p>{escape(j.note)}</p>" if j.note else ""
    return (f'<section id="{escape(j.label)}"><h2>{escape(j.label)} {_badge(j.status)}</h2>'
            f"<p>{escape(j.metric.description)}; {escape(cells.tolerance(j))}; baselines shifted onto the "
            f"candidate's clock</p>{plot}{note}<p><code>{escape(j.metric.query)}</code></p></section>")


def _shifted(side: Side, name: str, j: Judgement, origin: float) -> Series:
    points = side.samples.get(j.metric.name, {}).get(j.key, [])
    return Series({"side": name}, [(t - side.start + origin, v) for t, v in points])


def _limit(j: Judgement) -> float | None:
    """The baseline statistic moved by the tolerance in the bad direction: beyond it lies a regression."""
    if j.baseline is None:
        return None
    sign = 1 if j.metric.better == LOWER else -1
    return j.baseline + sign * abs(j.baseline) * j.tolerance
