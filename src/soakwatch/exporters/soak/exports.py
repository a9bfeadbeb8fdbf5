"""The reporter's time-series exports from ``soak.report.export`` (or the run manifest), per backend."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.shared.labels import LabelBudget, safe_label
from soakwatch.exporters.shared.payload import decode_object, not_in_future
from soakwatch.exporters.soak.manifest import ManifestReader

COLLECTOR = "exports"
REASONS = ("bad_json", "not_object", "bad_value", "bad_timestamp", "future_timestamp", "unlisted_backend")


class ExportCollector(Collector):
    """Successful exports and failed ones per backend, and the time of the last successful one.

    The ``backends`` of the config are exposed at 0 from the start; an event of another backend still
    counts (at most 10 distinct backends, then ``other``) and is counted as ``unlisted_backend``. The config's
    field and value mapping turns a pipeline's event (``{"target": ..., "success": true}``) into the contract's.

    Sample::

        soak_timeseries_exports_total{backend="prometheus"} 60.0
        soak_timeseries_export_errors_total{backend="prometheus"} 0.0
        soak_timeseries_last_export_timestamp_seconds{backend="prometheus"} 1.7e+09
    """

    def __init__(self, errors: ErrorCounter, manifest: ManifestReader | None = None,
                 clock: Callable[[], float] = time.time, backends: tuple[str, ...] = (),
                 mapping: FieldMap | None = None) -> None:
        self._errors = errors
        self._map = mapping or FieldMap()
        self._manifest = manifest
        self._clock = clock
        self._listed = frozenset(backends)
        self._backends = LabelBudget(limit=max(10, len(backends)))
        self._ok = {self._backends.admit(b): 0 for b in backends}
        self._failed = dict.fromkeys(self._ok, 0)
        self._last: dict[str, float] = {}
        self._live = False
        self._lock = threading.Lock()
        errors.declare(COLLECTOR, REASONS)

    def handle(self, subject: str, data: bytes) -> None:
        body = decode_object(data, self._errors, COLLECTOR)
        if body is None:
            return
        body = self._map.apply(body)
        backend, ok = safe_label(body.get("backend")), body.get("ok")
        if backend is None or not isinstance(ok, bool):
            self._errors.count(COLLECTOR, "bad_value", f"backend={body.get('backend')!r} ok={ok!r}"[:80])
            return
        ts = self._event_time(body.get("ts"))
        if ts is None:
            return
        if self._listed and backend not in self._listed:
            self._errors.count(COLLECTOR, "unlisted_backend", backend)
        self.record(self._backends.admit(backend), ok, ts)

    def _event_time(self, ts: Any) -> float | None:
        """The event's ``ts`` (receive time when absent); None after counting a bad or future one."""
        now = self._clock()
        if ts is None:
            return now
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not math.isfinite(ts) or ts < 0:
            self._errors.count(COLLECTOR, "bad_timestamp", repr(ts)[:40])
            return None
        if not not_in_future(float(ts), now):
            self._errors.count(COLLECTOR, "future_timestamp", f"ts {ts!r} > now {now:.0f}"[:80])
            return None
        return float(ts)

    def record(self, backend: str, ok: bool, ts: float) -> None:
        with self._lock:
            self._live = True
            self._ok.setdefault(backend, 0)
            self._failed.setdefault(backend, 0)
            if ok:
                self._ok[backend] += 1
                self._last[backend] = max(ts, self._last.get(backend, 0.0))
            else:
                self._failed[backend] += 1

    def state(self) -> dict[str, Any]:
        """Counts and last export time per backend (what the state file keeps)."""
        with self._lock:
            return {"live": self._live, "ok": dict(self._ok), "failed": dict(self._failed), "last": dict(self._last)}

    def restore(self, saved: dict[str, Any]) -> None:
        """Continue the counts of an earlier exporter instance."""
        ok, failed, last = dict(saved["ok"]), dict(saved["failed"]), dict(saved["last"])
        with self._lock:
            self._live = bool(saved["live"])
            for backend in ok.keys() | failed.keys():
                name = self._backends.admit(backend)
                self._ok[name] = self._ok.get(name, 0) + int(ok.get(backend, 0))
                self._failed[name] = self._failed.get(name, 0) + int(failed.get(backend, 0))
            self._last.update({b: float(t) for b, t in last.items() if not_in_future(float(t), self._clock())})

    def _snapshot(self) -> tuple[dict[str, int], dict[str, int], dict[str, float]]:
        with self._lock:
            ok, failed, last = dict(self._ok), dict(self._failed), dict(self._last)
            if self._live:
                return ok, failed, last
        fallback = self._manifest.exports() if self._manifest else None
        if fallback is not None:
            backend, count, errors = fallback
            ok[backend], failed[backend] = count, errors
        return ok, failed, {}

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
