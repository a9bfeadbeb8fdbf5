"""The registry of verify-soak's pass criteria, in the order of the design's table."""

from __future__ import annotations

from soakwatch.verify.criteria import alerts, pipeline, probe, processes, run
from soakwatch.verify.criteria.base import SEVERITIES, WHOLE, Check, Criterion, Measurement

_BY_ID = {c.id: c for c in (*probe.CRITERIA, *processes.CRITERIA, *alerts.CRITERIA, *pipeline.CRITERIA, *run.CRITERIA)}
ORDER = (
    "tick_rate", "parse_gaps", "connectivity", "tick_latency", "health_green", "no_critical_alerts", "export_rate",
    "sink_parity", "harvester_slo", "resources", "memory_growth", "restart_recovery", "shutdown_order",
    "run_duration",
)
REGISTRY: dict[str, Criterion] = {cid: _BY_ID[cid] for cid in ORDER}

__all__ = ["ORDER", "REGISTRY", "SEVERITIES", "WHOLE", "Check", "Criterion", "Measurement"]
