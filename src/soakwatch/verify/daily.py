"""The users' daily report, one per sink: its signals, the runtime state, alerts, harvester and export figures."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from soakwatch.verify.criteria.base import finite
from soakwatch.verify.criteria.pipeline import SINKS
from soakwatch.verify.facts import Facts, by_process
from soakwatch.verify.manifest import absent
from soakwatch.verify.querier import Querier
from soakwatch.verify.runinfo import RunInfo

UP = "max by (process) (soak_process_up)"
HEALTHY = "max by (process) (soak_process_healthy)"
KINDS = ("total", "confirm", "strong")


def file_names(sink: str) -> tuple[str, str]:
    """The JSON and Markdown file of ``sink``'s daily report in the bundle."""
    return f"daily_report_{sink}.json", f"daily_report_{sink}.md"


FILES = tuple(name for sink in SINKS for name in file_names(sink))


def reports(q: Querier, tz: tzinfo, facts: Facts, run_info: RunInfo, processes: tuple[str, ...],
            passed: bool) -> dict[str, dict[str, Any]]:
    """``{sink: report}`` for the JSONL and the SQLite sink over ``q``'s window, times in ``tz``."""
    w = q.window
    window = {"start": w.iso(w.start, tz), "end": w.iso(w.end, tz), "seconds": w.seconds}
    state = runtime_state(q, window, facts, run_info, processes)
    common = {
        "report_tz": tz_name(tz),
        "report_date": datetime.fromtimestamp(w.end, tz).date().isoformat(),
        "window": window,
        "verdict": "pass" if passed else "fail",
    }
    return {sink: {"sink": sink, **common, "signals": signals(facts.sinks, sink), "runtime_state": state,
                   "alerts": facts.alerts, "harvester_metrics": facts.harvester,
                   "timeseries_export": facts.export} for sink in SINKS}


def signals(counts: dict[tuple[str, str], float], sink: str) -> dict[str, Any]:
    """Signals ``sink`` gained in the window by kind, and its strong ratio (null without signals)."""
    found = {kind: _count(counts.get((sink, kind))) for kind in KINDS}
    total, strong = found["total"], found["strong"]
    return {**found, "strong_ratio": round(strong / total, 6) if total and strong is not None else None}


def runtime_state(q: Querier, window: dict[str, Any], facts: Facts, run_info: RunInfo,
                  processes: tuple[str, ...]) -> dict[str, Any]:
    """The run and each process at the window's end (``window``, in local time): up, healthy, restarts."""
    up, healthy = by_process(q, UP), by_process(q, HEALTHY)
    seen = set(up) | set(healthy) | set(facts.restarts)
    names = [*processes, *sorted(seen - set(processes))]
    state = run_state(run_info)
    return {
        "run_id": run_info.run_id,
        "run_state": state,
        **({} if state else {"run_state_note": absent(run_info, "status.state")}),
        "window": window,
        "as_of": window["end"],
        "processes": {p: {"up": _flag(up.get(p)), "healthy": _flag(healthy.get(p)),
                          "restart_count": _count(facts.restarts.get(p))} for p in names},
    }


def run_state(run_info: RunInfo) -> str | None:
    """``status.state`` of the orchestrator's run manifest (``running``, ``finished``, ...), when it has one."""
    status = run_info.document.get("status")
    state = status.get("state") if isinstance(status, dict) else None
    return state if isinstance(state, str) else None


def tz_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz.tzname(None) or tz)


def _flag(value: float | None) -> bool | None:
    return None if value is None else value >= 1


def _count(value: float | None) -> int | None:
    return round(value) if value is not None and finite(value) else None
