"""Evidence documents: the orchestrator's run manifest as Prometheus saw it, the source manifest, the parity diff."""

from __future__ import annotations

import math
from datetime import tzinfo
from typing import Any

from soakwatch import __version__
from soakwatch.contract import SHUTDOWN_ORDER
from soakwatch.natsconn import public_url
from soakwatch.verify.config import Settings
from soakwatch.verify.criteria import REGISTRY
from soakwatch.verify.criteria.base import finite
from soakwatch.verify.criteria.pipeline import PARITY_FIELDS, SINKS, parity, parity_query
from soakwatch.verify.criteria.processes import MIB, exited
from soakwatch.verify.facts import Facts, by_process
from soakwatch.verify.querier import Querier
from soakwatch.verify.runinfo import FLAG, RunInfo
from soakwatch.verify.runs import Target


def run_manifest(q: Querier, tz: tzinfo, facts: Facts, run_info: RunInfo) -> dict[str, Any]:
    """The orchestrator manifest's fields, as Prometheus saw the window; the backoff from the run manifest."""
    rss = by_process(q, "max by (process) (max_over_time(soak_process_resident_memory_bytes[$window]))")
    fds = by_process(q, "max by (process) (max_over_time(soak_process_open_fds[$window]))")
    gone, running = exited(q)
    seen = sorted(gone, key=lambda p: (gone[p], p))
    return {
        "source": "prometheus",
        "run_id": run_info.run_id,
        "window": {"start": q.window.iso(q.window.start, tz), "end": q.window.iso(q.window.end, tz)},
        "status": {"processes": {p: {"restart_count": round(n)} for p, n in sorted(facts.restarts.items())}},
        **_backoff(run_info),
        "restart_downtimes_seconds": _downtimes(q, facts.restarts),
        "harvester_metrics": facts.harvester,
        "resource_usage": {
            "max_rss_mb": round(max(rss.values()) / MIB, 1) if rss else None,
            "max_open_files": round(max(fds.values())) if fds else None,
            "per_process": {p: {"max_rss_mb": round(rss[p] / MIB, 1), "max_open_files": round(fds.get(p, 0))}
                            for p in sorted(rss)},
        },
        "timeseries_export": facts.export,
        "shutdown_order": seen,
        "shutdown_order_expected": list(SHUTDOWN_ORDER),
        "shutdown_order_seen": seen == list(SHUTDOWN_ORDER) and not running,
        "alerts": facts.alerts,
    }


def absent(run_info: RunInfo, field: str) -> str:
    """Why ``field`` of the orchestrator's run manifest is not in the evidence."""
    if run_info.path is None:
        return f"{field}: unknown, no {FLAG} given"
    return f"{field}: unknown, the run manifest {run_info.path} has none"


def _backoff(run_info: RunInfo) -> dict[str, Any]:
    """The supervisor's delays between restarts: only the orchestrator's run manifest records them."""
    if run_info.restart_backoff_pattern is None:
        return {"restart_backoff_pattern": None,
                "restart_backoff_pattern_note": absent(run_info, "restart_backoff_pattern")}
    return {"restart_backoff_pattern": list(run_info.restart_backoff_pattern)}


def _downtimes(q: Querier, restarts: dict[str, float]) -> list[float]:
    """Measured downtime of each restart in the window, in time order (from the latest-restart downtime gauge)."""
    events: list[tuple[float, float]] = []
    for labels, points in q.range("max by (process) (soak_process_restart_downtime_seconds)"):
        count = round(restarts.get(labels.get("process", ""), 0))
        changes = [(t, v) for i, (t, v) in enumerate(points)
                   if finite(v) and (i == 0 or v != points[i - 1][1])]
        events += changes[-count:] if count else []
    return [round(v, 3) for _, v in sorted(events)]


ALIGNMENT = ("diffs: the exporter's soak_sink_parity_diff_ratio (records whose whole second both sinks have "
             "reached) as it stood at the window's end; jsonl/sqlite: increase(soak_sink_signals_total) over the "
             "window, both sinks in one query at the same evaluation time")


def parity_diff(q: Querier, tz: tzinfo, settings: Settings, facts: Facts) -> dict[str, Any]:
    """``total_diff_pct``, ``confirm_diff_pct``, ``strong_ratio_diff_pct`` and the window alignment used."""
    limits = {c.name: c.threshold * 100 for c in REGISTRY["sink_parity"].checks}
    limits.update({c.name: c.threshold * 100 for s in settings.criteria if s.id == "sink_parity" for c in s.checks})
    result: dict[str, Any] = {}
    for field in PARITY_FIELDS:
        found = [v for _, v in q.instant(parity_query(field)) if finite(v)]
        result[f"{field}_diff_pct"] = round(found[0] * 100, 6) if found else None
    result["threshold_pct"] = limits["total_diff"]
    result["pass"] = all(result[f"{f}_diff_pct"] is not None and result[f"{f}_diff_pct"] < limits[f"{f}_diff"]
                         for f in PARITY_FIELDS)
    w = q.window
    result["window"] = {"start": w.start, "end": w.end, "start_utc": w.iso(w.start), "end_utc": w.iso(w.end),
                        "start_local": w.iso(w.start, tz), "end_local": w.iso(w.end, tz), "alignment": ALIGNMENT}
    counts = facts.sinks
    for sink in SINKS:
        result[sink] = {kind: round(v) for (s, kind), v in sorted(counts.items()) if s == sink}
    result["window_counts_diff_pct"] = {f: None if math.isnan(v) else round(v * 100, 6)
                                        for f, v in parity(counts).items()}
    return result


def source_manifest(url: str, settings: Settings, q: Querier, tz: tzinfo, run_info: RunInfo,
                    target: Target | None = None) -> dict[str, Any]:
    """Where the evidence came from: the run (from the run manifest), the window, Prometheus and the scope
    judged in it, the criteria."""
    w = q.window
    known = {"symbols": list(run_info.symbols) if run_info.symbols is not None else None,
             "data_source_endpoint": public_url(run_info.endpoint), "region": run_info.region,
             "run_id": run_info.run_id}
    return {
        "tool": {"name": "verify-soak", "version": __version__},
        "run_id": run_info.run_id,
        "run_manifest": run_info.path,
        "session_start": w.iso(w.start, tz), "session_end": w.iso(w.end, tz),
        "window": {"start_unix": w.start, "end_unix": w.end, "seconds": w.seconds, "step_seconds": w.step},
        "symbols": known["symbols"], "data_source_endpoint": known["data_source_endpoint"],
        "region": run_info.region,
        "prometheus_url": public_url(url),
        "scope": target.describe() if target else None,
        "notes": [absent(run_info, name) for name, value in known.items() if value is None],
        "criteria_used": [c.id for c in settings.criteria],
        "config_snapshot": settings.snapshot(),
    }

