"""The pipeline contract: NATS subjects, payload shapes and the logical processes of a soak."""

from __future__ import annotations

from typing import Any

TICK_SUBJECT = "market.tick.>"
TICK_TS_HEADER = "Soak-Ts"  # integer ns since epoch
HEALTH_SUBJECT_PREFIX = "soak.health"  # soak.health.<process>
HARVESTER_STATS_SUBJECT = "soak.harvester.stats"
SIGNAL_SUBJECT = "signal.>"
REPORT_EXPORT_SUBJECT = "soak.report.export"

PROCESSES = ("harvest", "signal", "broker", "report")
SHUTDOWN_ORDER = ("report", "broker", "signal", "harvest")
HEALTH_STATUSES = ("healthy", "degraded", "unhealthy")
HEARTBEAT_INTERVAL_SECONDS = 10.0
EXPORT_BACKENDS = ("prometheus", "influxdb")
HARVESTER_COUNTERS = ("queue_dropped", "substream_timeouts", "reconnect_count")


def health_subject(process: str) -> str:
    return f"{HEALTH_SUBJECT_PREFIX}.{process}"


def heartbeat(process: str, status: str, pid: int, ts: float) -> dict[str, Any]:
    """``{"process": "signal", "status": "healthy", "pid": 123, "ts": <epoch s>}``."""
    if status not in HEALTH_STATUSES:
        raise ValueError(f"status must be one of {', '.join(HEALTH_STATUSES)}, got {status!r}")
    return {"process": process, "status": status, "pid": pid, "ts": ts}


def harvester_stats(
    queue_dropped: int = 0, substream_timeouts: int = 0, reconnect_count: int = 0, queue_depth: int = 0,
) -> dict[str, int]:
    """Cumulative harvester counters plus the current queue depth."""
    return {
        "queue_dropped": queue_dropped, "substream_timeouts": substream_timeouts,
        "reconnect_count": reconnect_count, "queue_depth": queue_depth,
    }


def signal(
    confirm: bool, strong: bool, consistency: str = "ok", gating: str | None = None, **extra: Any,
) -> dict[str, Any]:
    """``{"confirm": bool, "strong": bool, "consistency": "low|ok", "gating": null|"reason"}``."""
    if consistency not in ("low", "ok"):
        raise ValueError(f"consistency must be 'low' or 'ok', got {consistency!r}")
    return {"confirm": confirm, "strong": strong, "consistency": consistency, "gating": gating, **extra}


def export_event(backend: str, ok: bool, error: str | None, ts: float) -> dict[str, Any]:
    """``{"backend": "prometheus|influxdb", "ok": true, "error": null, "ts": <epoch s>}``."""
    if backend not in EXPORT_BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(EXPORT_BACKENDS)}, got {backend!r}")
    return {"backend": backend, "ok": ok, "error": error, "ts": ts}
