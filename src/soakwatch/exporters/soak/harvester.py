"""Harvester SLO counters from ``soak.harvester.stats``; a counter reset never makes a total go backwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.contract import HARVESTER_COUNTERS
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.shared.payload import counter_value, decode_object
from soakwatch.exporters.soak.manifest import ManifestReader

COLLECTOR = "harvester"
REASONS = ("bad_json", "not_object", "bad_value")
_FAMILIES = {
    "queue_dropped": ("soak_harvester_queue_dropped", "Messages the harvester dropped from its queue."),
    "substream_timeouts": ("soak_harvester_substream_timeouts", "Harvester substream timeouts."),
    "reconnect_count": ("soak_harvester_reconnects", "Harvester reconnects to its data source."),
}


class ResetSafeCounter:
    """Turns a cumulative counter that restarts from 0 into a total that only grows."""

    def __init__(self, base: int = 0, last: int = 0) -> None:
        self.base = base
        self.last = last

    def update(self, value: int) -> None:
        if value < self.last:
            self.base += self.last
        self.last = value

    @property
    def total(self) -> int:
        return self.base + self.last


class HarvesterCollector(Collector):
    """Live stats win; before the first one, ``harvester_metrics`` of the run manifest is used.

    The three counters are exposed at 0 from the start (a first message with ``queue_dropped: 2`` is an
    increase of 2); ``soak_harvester_stats_received_total`` tells 0 from "no stats heard".

    Sample::

        soak_harvester_queue_dropped_total 0.0
        soak_harvester_substream_timeouts_total 0.0
        soak_harvester_reconnects_total 1.0
        soak_harvester_stats_received_total 360.0
        soak_harvester_last_update_timestamp_seconds 1.7672292e+09
        soak_harvester_queue_depth 12.0

    ``soak_harvester_last_update_timestamp_seconds`` is the time of the latest live stats message, or the run
    manifest's modification time while the manifest is the source; absent while there is no source at all.

    The config's field mapping turns a pipeline's names (``{"dropped": 2}``) into the contract's. With
    ``source: manifest`` the figures come from the run manifest's ``harvester_metrics`` only (``poll_manifest``,
    each new manifest file one "stats message"), through the same reset-safe counters as live stats.
    """

    def __init__(self, errors: ErrorCounter, manifest: ManifestReader | None = None,
                 clock: Callable[[], float] = time.time, mapping: FieldMap | None = None) -> None:
        self._errors = errors
        self._manifest = manifest
        self._map = mapping or FieldMap()
        self._manifest_seen: tuple[str, int, int] | None = None
        self._clock = clock
        self._updated: float | None = None
        self._counters = {key: ResetSafeCounter() for key in HARVESTER_COUNTERS}
        self._depth: int | None = None
        self._received = 0
        self._live = False
        self._lock = threading.Lock()
        errors.declare(COLLECTOR, REASONS)

    def handle(self, subject: str, data: bytes) -> None:
        body = decode_object(data, self._errors, COLLECTOR)
        if body is not None:
            self.update(self._map.apply(body))

    def poll_manifest(self) -> None:
        """``source: manifest``: a manifest file not seen before updates the counters like one stats message."""
        version = self._manifest.version if self._manifest else None
        if self._manifest is None or version is None or version == self._manifest_seen:
            return
        self._manifest_seen = version
        figures = self._manifest.harvester(self._map)
        if figures:
            self.update(dict(figures), at=version[1] / 1e9)

    def update(self, body: dict[str, Any], at: float | None = None) -> None:
        """One set of cumulative figures in the contract's names (``at``: their time, default now)."""
        values = {key: counter_value(body[key]) for key in (*HARVESTER_COUNTERS, "queue_depth") if key in body}
        bad = sorted(key for key, value in values.items() if value is None)
        if bad or not values:
            self._errors.count(COLLECTOR, "bad_value", ",".join(bad) or "no known field")
        with self._lock:
            self._received += 1
            for key, value in values.items():
                if value is None:
                    continue
                self._live = True
                self._updated = self._clock() if at is None else at
                if key == "queue_depth":
                    self._depth = value
                else:
                    self._counters[key].update(value)

    def _totals(self) -> dict[str, int]:
        with self._lock:
            if self._live:
                return {key: counter.total for key, counter in self._counters.items()}
        fallback = self._manifest.harvester(self._map) if self._manifest else None
        return {key: (fallback or {}).get(key, 0) for key in HARVESTER_COUNTERS}

    def _last_update(self) -> float | None:
        with self._lock:
            if self._live:
                return self._updated
        if self._manifest is None or self._manifest.harvester() is None:
            return None
        return self._manifest.modified_at

    def state(self) -> dict[str, Any]:
        """Base and last value of each counter and the stats count (what the state file keeps)."""
        with self._lock:
            counters = {key: [c.base, c.last] for key, c in self._counters.items()}
            return {"live": self._live, "received": self._received, "counters": counters}

    def restore(self, saved: dict[str, Any]) -> None:
        """Continue where an earlier exporter instance stopped: its last values are the reset baseline."""
        with self._lock:
            self._live = bool(saved["live"])
            self._received = int(saved["received"])
            for key, (base, last) in saved["counters"].items():
                if key in self._counters:
                    self._counters[key] = ResetSafeCounter(int(base), int(last))

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        totals = self._totals()
        for key, (name, text) in _FAMILIES.items():
            yield CounterMetricFamily(name, text, value=totals[key])
        with self._lock:
            received, depth = self._received, self._depth
        yield CounterMetricFamily("soak_harvester_stats_received", "Messages received on the harvester stats "
                                  "subject (0: the counters above are not from live stats).", value=received)
        updated = self._last_update()
        if updated is not None:
            yield GaugeMetricFamily("soak_harvester_last_update_timestamp_seconds", "Time of the harvester "
                                    "figures shown: the latest live stats, else the run manifest's.", value=updated)
        if depth is not None:
            yield GaugeMetricFamily("soak_harvester_queue_depth", "Harvester queue depth in the latest stats.",
                                    value=depth)
