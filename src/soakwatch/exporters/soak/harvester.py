"""Harvester SLO counters from ``soak.harvester.stats``; a counter reset never makes a total go backwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.contract import HARVESTER_COUNTERS
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.payload import counter_value, decode_object
from soakwatch.exporters.soak.manifest import ManifestReader

COLLECTOR = "harvester"
_FAMILIES = {
    "queue_dropped": ("soak_harvester_queue_dropped", "Messages the harvester dropped from its queue."),
    "substream_timeouts": ("soak_harvester_substream_timeouts", "Harvester substream timeouts."),
    "reconnect_count": ("soak_harvester_reconnects", "Harvester reconnects to its data source."),
}


class ResetSafeCounter:
    """Turns a cumulative counter that restarts from 0 into a total that only grows."""

    def __init__(self) -> None:
        self.base = 0
        self.last = 0

    def update(self, value: int) -> None:
        if value < self.last:
            self.base += self.last
        self.last = value

    @property
    def total(self) -> int:
        return self.base + self.last


class HarvesterCollector(Collector):
    """Live stats win; before the first one, ``harvester_metrics`` of the run manifest is used.

    Sample::

        soak_harvester_queue_dropped_total 0.0
        soak_harvester_substream_timeouts_total 0.0
        soak_harvester_reconnects_total 1.0
        soak_harvester_queue_depth 12.0
    """

    def __init__(self, errors: ErrorCounter, manifest: ManifestReader | None = None) -> None:
        self._errors = errors
        self._manifest = manifest
        self._counters = {key: ResetSafeCounter() for key in HARVESTER_COUNTERS}
        self._depth: int | None = None
        self._live = False
        self._lock = threading.Lock()

    def handle(self, subject: str, data: bytes) -> None:
        body = decode_object(data, self._errors, COLLECTOR)
        if body is None:
            return
        values = {key: counter_value(body[key]) for key in (*HARVESTER_COUNTERS, "queue_depth") if key in body}
        bad = sorted(key for key, value in values.items() if value is None)
        if bad or not values:
            self._errors.count(COLLECTOR, "bad_value", ",".join(bad) or "no known field")
        with self._lock:
            self._live = True
            for key, value in values.items():
                if value is None:
                    continue
                if key == "queue_depth":
                    self._depth = value
                else:
                    self._counters[key].update(value)

    def _totals(self) -> dict[str, int] | None:
        with self._lock:
            if self._live:
                return {key: counter.total for key, counter in self._counters.items()}
        return self._manifest.harvester() if self._manifest else None

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        totals = self._totals()
        if totals is None:
            return
        for key, (name, text) in _FAMILIES.items():
            if key in totals:
                yield CounterMetricFamily(name, text, value=totals[key])
        if self._depth is not None:
            yield GaugeMetricFamily("soak_harvester_queue_depth", "Harvester queue depth in the latest stats.",
                                    value=self._depth)
