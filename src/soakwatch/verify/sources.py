"""Where each criterion's data came from, from the exporter's ``soak_exporter_source_info`` (one query)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from soakwatch.verify.promapi import PrometheusError
from soakwatch.verify.querier import Querier

if TYPE_CHECKING:
    from soakwatch.verify.engine import CriterionResult

OWNER = "sources"
QUERY = "max by (data, source) (max_over_time(soak_exporter_source_info[$window]))"
LIVENESS = "liveness only (process up, no heartbeats)"
# the data kind each built-in criterion judges; kinds the soak exporter reads are looked up in the metric
DATA = {
    "tick_rate": "probe", "parse_gaps": "probe", "connectivity": "probe", "tick_latency": "probe",
    "run_duration": "probe", "no_critical_alerts": "alerts", "health_green": "health", "export_rate": "exports",
    "sink_parity": "sinks", "harvester_slo": "harvester", "resources": "processes", "memory_growth": "processes",
    "restart_recovery": "processes", "shutdown_order": "processes",
}
FIXED = {"probe": "probe (tick probe on NATS)", "alerts": "alerts (Prometheus ALERTS)"}


def read(q: Querier) -> dict[str, list[str]] | None:
    """``{data: [sources]}`` seen over the window; None when the store could not answer."""
    try:
        samples = q.instant(QUERY)
    except PrometheusError:
        return None
    found: dict[str, list[str]] = {}
    for labels, _ in samples:
        if labels.get("data") and labels.get("source"):
            found.setdefault(labels["data"], []).append(labels["source"])
    return {data: sorted(set(sources)) for data, sources in found.items()}


def describe(criterion: str, origin: str, found: Mapping[str, list[str]] | None) -> str:
    """The source of one criterion's data, e.g. ``health: heartbeats`` or ``health: liveness only (...)``."""
    if origin == "custom":
        return "custom query"
    data = DATA.get(criterion)
    if data is None:
        return "unknown"
    if data in FIXED:
        return FIXED[data]
    if found is None:
        return f"{data}: unknown (the store did not answer)"
    sources = found.get(data)
    if not sources:
        return f"{data}: not reported (no soak_exporter_source_info{{data=\"{data}\"}} in the window)"
    return f"{data}: " + ", ".join(_phrase(data, s) for s in sources)


def _phrase(data: str, source: str) -> str:
    return LIVENESS if data == "health" and source == "liveness" else source


def annotate(results: Iterable[CriterionResult], q: Querier) -> None:
    """Set ``data_source`` on every criterion result."""
    found = read(q)
    for result in results:
        result.data_source = describe(result.id, result.source, found)
