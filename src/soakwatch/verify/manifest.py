"""Evidence documents filled from Prometheus: the orchestrator's run manifest, source manifest, parity diff."""

from __future__ import annotations

import math
from datetime import tzinfo
from typing import Any

from soakwatch import __version__
from soakwatch.contract import SHUTDOWN_ORDER
from soakwatch.verify.config import Settings
from soakwatch.verify.criteria import REGISTRY
from soakwatch.verify.criteria.base import finite
from soakwatch.verify.criteria.pipeline import PARITY_FIELDS, SINKS, parity, parity_query, sink_counts
from soakwatch.verify.criteria.processes import MIB, exited
from soakwatch.verify.querier import Querier


def _by_process(q: Querier, expr: str) -> dict[str, float]:
    return {labels.get("process", ""): v for labels, v in q.instant(expr) if finite(v)}


def _total(q: Querier, expr: str) -> int | None:
    found = [v for _, v in q.instant(expr) if finite(v)]
    return round(sum(found)) if found else None


def run_manifest(q: Querier, tz: tzinfo) -> dict[str, Any]:
    """The orchestrator manifest's fields, as Prometheus saw the window."""
    restarts = _by_process(q, "max by (process) (increase(soak_process_restarts_total[$window]))")
    rss = _by_process(q, "max by (process) (max_over_time(soak_process_resident_memory_bytes[$window]))")
    fds = _by_process(q, "max by (process) (max_over_time(soak_process_open_fds[$window]))")
    gone, _ = exited(q)
    seen = sorted(gone, key=lambda p: (gone[p], p))
    timeouts = _total(q, "sum(increase(soak_harvester_substream_timeouts_total[$window]))")
    return {
        "source": "prometheus",
        "window": {"start": q.window.iso(q.window.start, tz), "end": q.window.iso(q.window.end, tz)},
        "status": {"processes": {p: {"restart_count": round(n)} for p, n in sorted(restarts.items())}},
        "restart_backoff_pattern": _backoff(q, restarts),
        "harvester_metrics": {
            "queue_dropped": _total(q, "sum(increase(soak_harvester_queue_dropped_total[$window]))"),
            "substream_timeout_detected": None if timeouts is None else timeouts > 0,
            "reconnect_count": _total(q, "sum(increase(soak_harvester_reconnects_total[$window]))"),
        },
        "resource_usage": {
            "max_rss_mb": round(max(rss.values()) / MIB, 1) if rss else None,
            "max_open_files": round(max(fds.values())) if fds else None,
            "per_process": {p: {"max_rss_mb": round(rss[p] / MIB, 1), "max_open_files": round(fds.get(p, 0))}
                            for p in sorted(rss)},
        },
        "timeseries_export": {
            "export_count": _total(q, "sum(increase(soak_timeseries_exports_total[$window]))"),
            "error_count": _total(q, "sum(increase(soak_timeseries_export_errors_total[$window])) or vector(0)"),
        },
        "shutdown_order": seen,
        "shutdown_order_expected": list(SHUTDOWN_ORDER),
        "shutdown_order_seen": bool(seen),
        "alerts": alerts(q, tz),
    }


def _backoff(q: Querier, restarts: dict[str, float]) -> list[float]:
    """Downtime of each restart in the window, in time order (from the latest-restart downtime gauge)."""
    events: list[tuple[float, float]] = []
    for labels, points in q.range("max by (process) (soak_process_restart_downtime_seconds)"):
        count = round(restarts.get(labels.get("process", ""), 0))
        changes = [(t, v) for i, (t, v) in enumerate(points)
                   if finite(v) and (i == 0 or v != points[i - 1][1])]
        events += changes[-count:] if count else []
    return [round(v, 3) for _, v in sorted(events)]


def alerts(q: Querier, tz: tzinfo) -> list[dict[str, Any]]:
    """Each firing interval of ``ALERTS`` in the window: rule name, level, trigger and recovery time."""
    reach = max(q.window.step, 30.0)
    found = []
    for labels, points in q.range(f'max_over_time(ALERTS{{alertstate="firing"}}[{round(reach)}s])'):
        for began, ended in _intervals([t for t, v in points if not math.isnan(v)], reach):
            details = {k: v for k, v in labels.items() if k not in ("alertname", "alertstate", "severity")}
            found.append({
                "rule_name": labels.get("alertname", ""), "level": labels.get("severity", ""),
                "trigger_time": q.window.iso(began, tz),
                "recovery_time": None if ended >= q.window.end else q.window.iso(ended - reach, tz),
                "details": details,
            })
    return sorted(found, key=lambda a: (a["trigger_time"], a["rule_name"]))


def _intervals(times: list[float], gap: float) -> list[tuple[float, float]]:
    spans: list[list[float]] = []
    for t in times:
        if spans and t - spans[-1][1] <= gap:
            spans[-1][1] = t
        else:
            spans.append([t, t])
    return [(a, b) for a, b in spans]


ALIGNMENT = ("diffs: the exporter's soak_sink_parity_diff_ratio (records whose whole second both sinks have "
             "reached) as it stood at the window's end; jsonl/sqlite: increase(soak_sink_signals_total) over the "
             "window, both sinks in one query at the same evaluation time")


def parity_diff(q: Querier, tz: tzinfo, settings: Settings) -> dict[str, Any]:
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
    counts = sink_counts(q)
    for sink in SINKS:
        result[sink] = {kind: round(v) for (s, kind), v in sorted(counts.items()) if s == sink}
    result["window_counts_diff_pct"] = {f: None if math.isnan(v) else round(v * 100, 6)
                                        for f, v in parity(counts).items()}
    return result


def source_manifest(url: str, settings: Settings, q: Querier, tz: tzinfo) -> dict[str, Any]:
    w = q.window
    return {
        "tool": {"name": "verify-soak", "version": __version__},
        "session_start": w.iso(w.start, tz), "session_end": w.iso(w.end, tz),
        "window": {"start_unix": w.start, "end_unix": w.end, "seconds": w.seconds, "step_seconds": w.step},
        "data_source_endpoint": url, "region": None, "symbols": None,
        "criteria_used": [c.id for c in settings.criteria],
        "config_snapshot": settings.snapshot(),
    }
