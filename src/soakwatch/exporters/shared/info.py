"""``soak_exporter_info{exporter,version}``: which exporter and version serve these metrics."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch import __version__


class ExporterInfoCollector(Collector):
    """Sample::

        soak_exporter_info{exporter="soak_exporter",version="0.1.0"} 1.0
    """

    def __init__(self, exporter: str = "soak_exporter", version: str = __version__) -> None:
        self._labels = [exporter, version]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("soak_exporter_info", "The exporter serving these metrics and its version.",
                                   labels=["exporter", "version"])
        family.add_metric(self._labels, 1)
        yield family
