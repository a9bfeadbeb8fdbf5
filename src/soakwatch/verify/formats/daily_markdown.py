"""The daily report of one sink as Markdown (``daily_report_<sink>.md``), from its JSON document."""

from __future__ import annotations

from typing import Any

from soakwatch.verify.formats import values

NONE = "-"


def render(report: dict[str, Any]) -> str:
    state, window = report["runtime_state"], report["window"]
    lines = [
        f"# Daily report: {report['sink']} sink, {report['report_date']} ({report['report_tz']})", "",
        f"- Run: {_cell(state['run_id'])}, state {_cell(state['run_state'])}",
        f"- Window: {window['start']} .. {window['end']} ({values.duration(window['seconds'])})",
        f"- Verdict: {report['verdict'].upper()}", "",
        f"## Signals ({report['sink']})", "",
        *_table(["total", "confirm", "strong", "strong_ratio"], [report["signals"]]), "",
        f"## Runtime state (as of {state['as_of']})", "",
        *_table(["process", "up", "healthy", "restart_count"],
                [{"process": name, **row} for name, row in state["processes"].items()]), "",
        "## Alerts", "",
        *(_table(["rule_name", "level", "trigger_time", "recovery_time", "details"], report["alerts"])
          if report["alerts"] else ["No alert fired in the window."]), "",
        "## Harvester SLO", "",
        *_table(["queue_dropped", "substream_timeout_detected", "reconnect_count"], [report["harvester_metrics"]]),
        "", "## Time-series export", "",
        *_table(["export_count", "error_count", "last_export_time"], [report["timeseries_export"]]),
    ]
    return "\n".join(lines) + "\n"


def _table(columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    head = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return head + ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]


def _cell(value: Any) -> str:
    """``yes``/``no`` for flags, ``-`` for unknown, ``k=v`` for label sets; pipes escaped."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, float):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")
