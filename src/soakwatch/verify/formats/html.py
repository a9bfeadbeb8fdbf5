"""The self-contained HTML report of the bundle: summary table and, per criterion, a plot and its queries."""

from __future__ import annotations

from datetime import tzinfo
from html import escape
from typing import Any

from soakwatch.verify.engine import CriterionResult, Verdict
from soakwatch.verify.formats import svg, values

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
tr.bad td{background:#fdecea}tr.bad td:first-child{border-left:4px solid #d62728}
.pass{color:#2ca02c;font-weight:bold}.fail,.no-data{color:#d62728;font-weight:bold}.warn{color:#e69500;font-weight:bold}
code{background:#f4f4f4;padding:1px 3px;font-size:12px;word-break:break-all}section{margin:28px 0}
h1 .pass,h1 .fail{font-size:inherit}
"""


def render(verdict: Verdict, tz: tzinfo, color: bool = False, alerts: list[dict[str, Any]] | None = None,
           runbook_base: str | None = None) -> str:
    """The report; failed criteria first and marked, then the alerts of the window with their runbook links."""
    w = verdict.window
    status = "pass" if verdict.passed else "fail"
    intro = (f'<h1>Soak verdict: <span class="{status}">{status.upper()}</span></h1>'
             f"<p>Window {escape(w.iso(w.start, tz))} .. {escape(w.iso(w.end, tz))} ({values.duration(w.seconds)}), "
             f"source <code>{escape(verdict.url)}</code></p>"
             + (f"<p>Scope {escape(verdict.target.headline())}</p>" if verdict.target else ""))
    body = [head(f"Soak verdict: {status.upper()}"), intro, _summary(failed_first(verdict), verdict.strict),
            _alerts(alerts, runbook_base), sections(verdict, tz)]
    body.append(f"<p><b>{escape(values.verdict_line(verdict.results, verdict.passed, verdict.strict))}</b></p>")
    return "".join(body) + "</body></html>\n"


_BAD = ' class="bad"'


def head(title: str, extra: str = "", style: str = "") -> str:
    """The page up to ``<body>``: the strict CSP, the title, the style; ``extra`` goes into ``<head>``."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">{extra}'
            f"<title>{escape(title)}</title><style>{_STYLE}{style}</style></head><body>")


def failed_first(verdict: Verdict) -> list[CriterionResult]:
    """The results with the failing ones first, each group in the registry's order."""
    return sorted(verdict.results, key=lambda r: not r.fails(verdict.strict))


def sections(verdict: Verdict, tz: tzinfo) -> str:
    """One section per criterion (failed first): plot, checks, processes, notes."""
    return "".join(_section(r, verdict, tz) for r in failed_first(verdict))


def _badge(status: str) -> str:
    return f'<span class="{status.replace(" ", "-")}">{escape(status.upper())}</span>'


def _summary(results: list[CriterionResult], strict: bool) -> str:
    rows = "".join(
        f"<tr{_BAD if r.fails(strict) else ''}><td><a href=\"#{r.id}\">{escape(r.id)}</a></td>"
        f"<td>{_badge(r.status)}</td>"
        f"<td>{escape(values.measurements(r))}</td><td>{escape(values.thresholds(r))}</td>"
        f"<td>{escape(values.detail(r))}</td></tr>" for r in results)
    return ("<table><tr><th>criterion</th><th>result</th><th>measured</th><th>threshold</th><th>detail</th></tr>"
            f"{rows}</table>")


def _alerts(alerts: list[dict[str, Any]] | None, runbook_base: str | None) -> str:
    """The alerts that fired in the window, in time order, each with its runbook."""
    if alerts is None:
        return ""
    if not alerts:
        return "<h2>Alerts</h2><p>No soak alert fired in the window.</p>"
    rows = "".join(
        f"<tr{_BAD if a['level'] == 'critical' else ''}><td>{escape(a['trigger_time'])}</td>"
        f'<td>{escape(a["recovery_time"] or "still firing at the window end")}</td>'
        f'<td>{escape(a["rule_name"])}</td><td>{escape(a["level"])}</td>'
        f'<td>{escape(", ".join(f"{k}={v}" for k, v in sorted(a["details"].items())))}</td>'
        f"<td>{_runbook_link(a['rule_name'], runbook_base)}</td></tr>" for a in alerts)
    return ("<h2>Alerts</h2><table><tr><th>fired</th><th>resolved</th><th>alert</th><th>level</th><th>labels</th>"
            f"<th>runbook</th></tr>{rows}</table>")


def _runbook_link(name: str, base: str | None) -> str:
    if not base or not name.startswith("Soak"):
        return ""
    return f'<a href="{escape(base + name)}.md">{escape(name)}.md</a>'


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
            f"(severity {escape(r.severity)})</p><p>data source: {escape(r.data_source)}</p>"
            f"{plot}<ul>{checks}</ul>{per_key}"
            + (f"<ul>{notes}</ul>" if notes else "") + "</section>")
