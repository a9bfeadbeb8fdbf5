"""Push a bench report's figures to a Prometheus Pushgateway as soak_bench_* gauges in base units."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, push_to_gateway
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.bench.figures import PEAKS, figure
from soakwatch.bench.report import figure_names
from soakwatch.bench.stats import SUMMARY_KEYS

PUSH_JOB = "soak_bench"
_INFO_KEYS = ("msgs", "duration", "size", "clients", "rate", "repeats", "warmup", "seed", "responders", "batch")
_HELP = {
    "soak_bench_messages_per_second": "Messages (or requests) per second of one bench phase, across repeats.",
    "soak_bench_bytes_per_second": "Payload bytes per second of one bench phase, across repeats.",
    "soak_bench_latency_seconds": "Latency quantile of one bench phase, across repeats.",
    "soak_bench_latency_mean_seconds": "Mean latency of one bench phase, across repeats.",
    "soak_bench_latency_stddev_seconds": "Standard deviation of the latency of one bench phase, across repeats.",
    "soak_bench_failed_messages": "Messages lost, timed out or failed per repeat, across repeats.",
    "soak_bench_cpu_ratio": "CPU used during a repeat in cores (1 = one full core), across repeats.",
    "soak_bench_resident_memory_bytes": "Largest resident memory seen during a repeat, across repeats.",
    "soak_bench_peak_resident_memory_bytes": "Peak resident memory over the whole bench run.",
}


class ReportCollector(Collector):
    """The figures of one report as gauges; per-repeat figures carry ``stat`` = min|median|p95.

    Sample (the push adds ``job="soak_bench"`` and ``mode``)::

        soak_bench_messages_per_second{phase="pubsub",stat="median"} 41235.5
        soak_bench_latency_seconds{phase="pubsub",quantile="0.99",stat="median"} 0.00412
        soak_bench_peak_resident_memory_bytes{process="client"} 6.2e+07
        soak_bench_info{clients="1",msgs="5000",...} 1.0
    """

    def __init__(self, report: Mapping[str, Any]) -> None:
        self._report = report

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[tuple[str, tuple[str, ...]], GaugeMetricFamily] = {}
        for name, labels, value in self._samples():
            key = (name, tuple(sorted(labels)))
            if key not in families:
                families[key] = GaugeMetricFamily(name, _HELP[name], labels=sorted(labels))
            families[key].add_metric([labels[label] for label in sorted(labels)], value)
        yield from families.values()
        yield self._info()

    def _samples(self) -> Iterator[tuple[str, dict[str, str], float]]:
        mode = str(self._report["mode"])
        for name in figure_names(self._report):
            spec, value = figure(mode, name), self._report[name]
            assert spec is not None
            if isinstance(value, dict):
                for stat in SUMMARY_KEYS:
                    yield spec.metric, {**spec.labels, "stat": stat}, value[stat] * spec.scale
            elif isinstance(value, int | float) and name in PEAKS:
                yield spec.metric, dict(spec.labels), value * spec.scale

    def _info(self) -> GaugeMetricFamily:
        keys = [key for key in _INFO_KEYS if key in self._report]
        info = GaugeMetricFamily("soak_bench_info", "Parameters of the pushed bench run (value 1).", labels=keys)
        info.add_metric(["" if self._report[key] is None else str(self._report[key]) for key in keys], 1)
        return info


def push_report(report: Mapping[str, Any], gateway: str, timeout: float = 10.0) -> None:
    """Replace the group ``job="soak_bench", mode=<mode>`` on the Pushgateway with this report's figures."""
    registry = CollectorRegistry()
    registry.register(ReportCollector(report))
    push_to_gateway(gateway, job=PUSH_JOB, registry=registry, grouping_key={"mode": str(report["mode"])},
                    timeout=timeout)
