"""What the exporter watches: ``soak_exporter_source_info{data,source}`` (each enabled data kind and the source it
is read from) and ``soak_exporter_watched_process_info{process}`` (each logical process it is configured for)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.exporters.soak.config import ExporterConfig


def sources(config: ExporterConfig) -> list[tuple[str, str]]:
    """``(data, source)`` per enabled data kind, e.g. ``("health", "liveness")``, ``("signals", "jsonl")``."""
    pairs: list[tuple[str, str]] = []
    if config.health:
        http = config.health.source == "heartbeats" and config.health.http
        pairs.append(("health", "heartbeats+http" if http else config.health.source))
    for data, part in (("harvester", config.harvester), ("signals", config.signals), ("exports", config.exports)):
        if part is not None:
            pairs.append((data, part.source))
    if config.sinks:
        pairs.append(("sinks", "+".join(n for n in ("jsonl", "sqlite") if getattr(config.sinks, n))))
    if config.manifest:
        pairs.append(("manifest", "file"))
    if config.processes:
        pairs.append(("processes", "scan"))
    return pairs


def watched_processes(config: ExporterConfig) -> list[str]:
    """The logical processes the config names: ``processes.match`` and ``health.processes``."""
    names = set(config.processes.match) if config.processes else set()
    return sorted(names | set(config.health.processes if config.health else ()))


class SourceInfoCollector(Collector):
    """Sample::

        soak_exporter_source_info{data="health",source="liveness"} 1.0
        soak_exporter_source_info{data="signals",source="jsonl"} 1.0
        soak_exporter_watched_process_info{process="harvest"} 1.0
    """

    def __init__(self, config: ExporterConfig) -> None:
        self._pairs = sources(config)
        self._processes = watched_processes(config)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("soak_exporter_source_info", "Each enabled data kind and the source it is "
                                   "read from (health: heartbeats, http or liveness only).", labels=["data", "source"])
        for data, source in self._pairs:
            family.add_metric([data, source], 1)
        yield family
        watched = GaugeMetricFamily("soak_exporter_watched_process_info", "Each logical process the exporter is "
                                    "configured to watch (processes.match, health.processes), from its start.",
                                    labels=["process"])
        for name in self._processes:
            watched.add_metric([name], 1)
        yield watched
