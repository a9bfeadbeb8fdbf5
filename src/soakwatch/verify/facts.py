"""Figures of the window that several evidence documents report, each queried from Prometheus once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from soakwatch.verify.counting import Counter
from soakwatch.verify.criteria.base import finite
from soakwatch.verify.criteria.pipeline import sink_counts
from soakwatch.verify.querier import Querier

LAST_EXPORT = "max(last_over_time(soak_timeseries_last_export_timestamp_seconds[$window]))"


@dataclass(frozen=True)
class Facts:
    """Restarts per process, harvester figures, export status, alert intervals and signals per sink."""

    restarts: dict[str, float]
    harvester: dict[str, Any]
    export: dict[str, Any]
    alerts: list[dict[str, Any]]
    sinks: dict[tuple[str, str], float]


def gather(q: Querier, tz: tzinfo) -> Facts:
    """Every shared figure of ``q``'s window, events counted as the criteria count them; times in ``tz``."""
    counter = Counter(q)
    restarts = {key[0]: n for key, n in counter.totals("soak_process_restarts_total", ("process",), "max").items()}
    return Facts(restarts, harvester_metrics(counter), timeseries_export(q, counter, tz), alerts(q, tz),
                 sink_counts(q))


def by_process(q: Querier, expr: str) -> dict[str, float]:
    """``{process: value}`` of an instant query, finite values only."""
    return {labels.get("process", ""): v for labels, v in q.instant(expr) if finite(v)}


def total(counter: Counter, selector: str) -> int | None:
    """Events of ``selector`` in the window by the counting rule, rounded; None when it has no series."""
    found = counter.total(selector)
    return None if found is None else round(found)


def harvester_metrics(counter: Counter) -> dict[str, Any]:
    """``queue_dropped``, ``substream_timeout_detected`` and ``reconnect_count`` of the window."""
    timeouts = total(counter, "soak_harvester_substream_timeouts_total")
    return {
        "queue_dropped": total(counter, "soak_harvester_queue_dropped_total"),
        "substream_timeout_detected": None if timeouts is None else timeouts > 0,
        "reconnect_count": total(counter, "soak_harvester_reconnects_total"),
    }


def timeseries_export(q: Querier, counter: Counter, tz: tzinfo) -> dict[str, Any]:
    """``export_count`` and ``error_count`` in the window and the ``last_export_time`` (null when unknown)."""
    last = [v for _, v in q.instant(LAST_EXPORT) if finite(v) and v > 0]
    errors = total(counter, "soak_timeseries_export_errors_total")
    return {
        "export_count": total(counter, "soak_timeseries_exports_total"),
        "error_count": 0 if errors is None else errors,
        "last_export_time": q.window.iso(max(last), tz) if last else None,
    }


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
