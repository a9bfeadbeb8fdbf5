"""The self-contained HTML report of the bundle: summary table and, per criterion, a plot and its queries."""

from __future__ import annotations

from datetime import tzinfo
from html import escape

from soakwatch.verify.engine import CriterionResult, Verdict
from soakwatch.verify.formats import svg, values

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.pass{color:#2ca02c;font-weight:bold}.fail,.no-data{color:#d62728;font-weight:bold}.warn{color:#e69500;font-weight:bold}
code{background:#f4f4f4;padding:1px 3px;font-size:12px;word-break:break-all}section{margin:28px 0}
h1 .pass,h1 .fail{font-size:inherit}
"""


def render(verdict: Verdict, tz: tzinfo, color: bool = False) -> str:
    w = verdict.window
    status = "pass" if verdict.passed else "fail"
    intro = (f'<h1>Soak verdict: <span class="{status}">{status.upper()}</span></h1>'
             f"<p>Window {escape(w.iso(w.start, tz))} .. {escape(w.iso(w.end, tz))} ({values.duration(w.seconds)}), "
             f"source <code>{escape(verdict.url)}</code></p>")
    body = [head(f"Soak verdict: {status.upper()}"), intro, _summary(verdict), sections(verdict, tz)]
    body.append(f"<p><b>{escape(values.verdict_line(verdict.results, verdict.passed, verdict.strict))}</b></p>")
    return "".join(body) + "</body></html>\n"


def head(title: str, extra: str = "", style: str = "") -> str:
    """The page up to ``<body>``: the strict CSP, the title, the style; ``extra`` goes into ``<head>``."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">{extra}'
            f"<title>{escape(title)}</title><style>{_STYLE}{style}</style></head><body>")


def sections(verdict: Verdict, tz: tzinfo) -> str:
    """One section per criterion: plot, checks, processes, notes."""
    return "".join(_section(r, verdict, tz) for r in verdict.results)


def _badge(status: str) -> str:
    return f'<span class="{status.replace(" ", "-")}">{escape(status.upper())}</span>'


def _summary(verdict: Verdict) -> str:
    rows = "".join(
        f'<tr><td><a href="#{r.id}">{escape(r.id)}</a></td><td>{_badge(r.status)}</td>'
        f"<td>{escape(values.measurements(r))}</td><td>{escape(values.thresholds(r))}</td>"
        f"<td>{escape(values.detail(r))}</td></tr>" for r in verdict.results)
    return ("<table><tr><th>criterion</th><th>result</th><th>measured</th><th>threshold</th><th>detail</th></tr>"
            f"{rows}</table>")


def _section(r: CriterionResult, verdict: Verdict, tz: tzinfo) -> str:
    plot = svg.plot(r.series, r.plot_threshold, r.plot_unit, verdict.window, tz, f"{r.id} over the window")
    checks = "".join(f"<li><code>{escape(values.threshold(c))}</code> measured <b>{escape(values.measured(c))}</b>"
                     f"<br><code>{escape(c.query)}</code></li>" for c in r.checks)
    per_key = ""
    if r.per_process:
        per_key = "<table><tr><th>process</th><th>result</th><th>values</th></tr>" + "".join(
            f"<tr><td>{escape(k)}</td><td>{_badge(s)}</td><td>{escape(v)}</td></tr>"
            for k, s, v in values.per_key_rows(r)) + "</table>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in r.notes)
    return (f'<section id="{r.id}"><h2>{escape(r.id)} {_badge(r.status)}</h2><p>{escape(r.description)} '
            f"(severity {escape(r.severity)})</p>{plot}<ul>{checks}</ul>{per_key}"
            + (f"<ul>{notes}</ul>" if notes else "") + "</section>")
