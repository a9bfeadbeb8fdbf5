"""The reporter's time-series exports from ``soak.report.export`` (or the run manifest), per backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.labels import LabelBudget, safe_label
from soakwatch.exporters.shared.payload import decode_object
from soakwatch.exporters.soak.manifest import ManifestReader

COLLECTOR = "exports"


class ExportCollector(Collector):
    """Successful exports and failed ones per backend, and the time of the last successful one.

    Sample::

        soak_timeseries_exports_total{backend="prometheus"} 60.0
        soak_timeseries_export_errors_total{backend="prometheus"} 0.0
        soak_timeseries_last_export_timestamp_seconds{backend="prometheus"} 1.7e+09
    """

    def __init__(self, errors: ErrorCounter, manifest: ManifestReader | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._errors = errors
        self._manifest = manifest
        self._clock = clock
        self._backends = LabelBudget(limit=10)
        self._ok: dict[str, int] = {}
        self._failed: dict[str, int] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def handle(self, subject: str, data: bytes) -> None:
        body = decode_object(data, self._errors, COLLECTOR)
        if body is None:
            return
        backend, ok, ts = safe_label(body.get("backend")), body.get("ok"), body.get("ts")
        if backend is None or not isinstance(ok, bool):
            self._errors.count(COLLECTOR, "bad_value", f"backend={body.get('backend')!r} ok={ok!r}"[:80])
            return
        if isinstance(ts, bool) or not isinstance(ts, int | float):
            ts = self._clock()
        self.record(self._backends.admit(backend), ok, float(ts))

    def record(self, backend: str, ok: bool, ts: float) -> None:
        with self._lock:
            self._ok.setdefault(backend, 0)
            self._failed.setdefault(backend, 0)
            if ok:
                self._ok[backend] += 1
                self._last[backend] = max(ts, self._last.get(backend, 0.0))
            else:
                self._failed[backend] += 1

    def _snapshot(self) -> tuple[dict[str, int], dict[str, int], dict[str, float]]:
        with self._lock:
            if self._ok:
                return dict(self._ok), dict(self._failed), dict(self._last)
        fallback = self._manifest.exports() if self._manifest else None
        if fallback is None:
            return {}, {}, {}
        backend, count, errors = fallback
        return {backend: count}, {backend: errors}, {}

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        ok, failed, last = self._snapshot()
        exports = CounterMetricFamily("soak_timeseries_exports", "Successful time-series exports of the "
                                      "pipeline's reporter, per backend.", labels=["backend"])
        errors = CounterMetricFamily("soak_timeseries_export_errors", "Failed time-series exports of the "
                                     "pipeline's reporter, per backend.", labels=["backend"])
        stamp = GaugeMetricFamily("soak_timeseries_last_export_timestamp_seconds", "Time of the reporter's "
                                  "last successful export, per backend.", labels=["backend"])
        for backend in sorted(ok):
            exports.add_metric([backend], ok[backend])
            errors.add_metric([backend], failed.get(backend, 0))
            if backend in last:
                stamp.add_metric([backend], last[backend])
        yield exports
        yield errors
        yield stamp
