"""The catalogue of figures: which way is better, and the soak_bench_* metric each one is pushed as."""

from __future__ import annotations

from dataclasses import dataclass, field

from soakwatch.bench.resources import MIB
from soakwatch.bench.stats import LATENCY_PERCENTILES

HIGHER, LOWER = "higher", "lower"
_QUANTILES = {**{key: f"{pct / 100:g}" for key, pct in LATENCY_PERCENTILES.items()}, "max": "1"}


@dataclass(frozen=True)
class Figure:
    """A figure of the report: its direction and how it maps to a metric in base units."""

    better: str
    metric: str
    labels: dict[str, str] = field(default_factory=dict)
    scale: float = 1.0  # report unit -> base unit


def _latency(prefix: str, phase: str) -> dict[str, Figure]:
    figures = {
        f"{prefix}latency_{key}_ms": Figure(LOWER, "soak_bench_latency_seconds", {"phase": phase, "quantile": q}, 1e-3)
        for key, q in _QUANTILES.items()
    }
    figures[f"{prefix}latency_mean_ms"] = Figure(LOWER, "soak_bench_latency_mean_seconds", {"phase": phase}, 1e-3)
    figures[f"{prefix}latency_stddev_ms"] = Figure(LOWER, "soak_bench_latency_stddev_seconds", {"phase": phase}, 1e-3)
    return figures


def _throughput(prefix: str, phase: str) -> dict[str, Figure]:
    return {
        f"{prefix}msgs_per_sec": Figure(HIGHER, "soak_bench_messages_per_second", {"phase": phase}),
        f"{prefix}mb_per_sec": Figure(HIGHER, "soak_bench_bytes_per_second", {"phase": phase}, MIB),
    }


def _failures(phase: str, *reasons: str) -> dict[str, Figure]:
    names = {"lost": "msgs_lost", "timeout": "timeouts", "error": "errors"}
    return {
        names[reason]: Figure(LOWER, "soak_bench_failed_messages", {"phase": phase, "reason": reason})
        for reason in reasons
    }


_RESOURCES = {
    "client_cpu_percent": Figure(LOWER, "soak_bench_cpu_ratio", {"process": "client"}, 1e-2),
    "client_rss_mb": Figure(LOWER, "soak_bench_resident_memory_bytes", {"process": "client"}, MIB),
    "server_cpu_percent": Figure(LOWER, "soak_bench_cpu_ratio", {"process": "nats-server"}, 1e-2),
    "server_rss_mb": Figure(LOWER, "soak_bench_resident_memory_bytes", {"process": "nats-server"}, MIB),
}
# figures given once per run (not per repeat), as a plain number
PEAKS = {
    "peak_rss_mb": Figure(LOWER, "soak_bench_peak_resident_memory_bytes", {"process": "client"}, MIB),
    "server_peak_rss_mb": Figure(LOWER, "soak_bench_peak_resident_memory_bytes", {"process": "nats-server"}, MIB),
}

FIGURES: dict[str, dict[str, Figure]] = {
    "pubsub": {**_throughput("", "pubsub"), **_latency("", "pubsub"), **_failures("pubsub", "lost"), **_RESOURCES},
    "request": {
        "requests_per_sec": Figure(HIGHER, "soak_bench_messages_per_second", {"phase": "request"}),
        **_latency("", "request"),
        **_failures("request", "timeout", "error"), **_RESOURCES,
    },
    "jetstream": {
        **_throughput("", "sync"), **_latency("", "sync"), **_throughput("async_", "async"),
        **_latency("async_", "async"), **_failures("jetstream", "timeout", "error"), **_RESOURCES,
    },
}


def figure(mode: str, name: str) -> Figure | None:
    """The catalogue entry of figure ``name`` in ``mode`` (per-repeat or peak); None when unknown."""
    return FIGURES.get(mode, {}).get(name) or PEAKS.get(name)
