"""Heartbeats on ``soak.health.<process>`` as health checks by status, with ``missing`` after silence."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.contract import HEALTH_STATUSES
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.shared.labels import safe_label
from soakwatch.exporters.shared.payload import decode_object
from soakwatch.exporters.soak.config import HealthConfig

COLLECTOR = "health"
STATUSES = (*HEALTH_STATUSES, "missing")
REASONS = ("bad_json", "not_object", "bad_subject", "unknown_status", "unknown_process")
_SOURCE_HELP = {"liveness": " Source: liveness only (process up = healthy, else missing; no heartbeats).",
                "http": " Source: HTTP health endpoints."}


class HealthCollector(Collector):
    """Each heartbeat of a configured process is one check; a process silent for ``missing_after``
    intervals counts a ``missing`` check, then one more per further interval of silence. Every process x
    status is exposed from the start; heartbeats of other processes are counted as ``unknown_process``.
    The config's field and value mapping turns a pipeline's heartbeat (``{"state": "ok"}``) into the
    contract's; with ``fields.process`` mapped, the payload names the process (also on the bare prefix).

    Sample::

        soak_health_checks_total{process="signal",status="healthy"} 359.0
        soak_health_checks_total{process="signal",status="missing"} 1.0
        soak_process_healthy{process="signal"} 1.0
    """

    def __init__(self, config: HealthConfig, errors: ErrorCounter,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._prefix = config.subject_prefix + "."
        self.mapping: FieldMap = config.mapping
        self._help = _SOURCE_HELP.get(config.source, "")
        self._interval = config.interval
        self._silence = config.missing_after * config.interval
        self._errors = errors
        self._clock = clock
        self._lock = threading.Lock()
        start = clock()
        self._due = {p: start + self._silence for p in config.processes}
        self._known = frozenset(config.processes) | {e.process for e in config.http}
        self._checks = {(p, s): 0 for p in sorted(self._known) for s in STATUSES}
        errors.declare(COLLECTOR, REASONS)
        self._healthy: dict[str, bool] = {}

    def subjects(self) -> list[str]:
        """What to subscribe to: ``<prefix>.*``, and the bare prefix when the payload names the process."""
        prefix = self._prefix[:-1]
        return [f"{prefix}.*", prefix] if "process" in self.mapping.fields else [f"{prefix}.*"]

    def handle(self, subject: str, data: bytes) -> None:
        """One heartbeat message."""
        named = "process" in self.mapping.fields and subject == self._prefix[:-1]
        process = safe_label(subject[len(self._prefix):]) if subject.startswith(self._prefix) else None
        if process is None and not named:
            self._errors.count(COLLECTOR, "bad_subject", subject[:80])
            return
        if process is not None and process not in self._known and "process" not in self.mapping.fields:
            self._errors.count(COLLECTOR, "unknown_process", process)
            return
        body = decode_object(data, self._errors, COLLECTOR)
        if body is None:
            return
        body = self.mapping.apply(body)
        if "process" in self.mapping.fields and body.get("process") is not None:
            process = safe_label(body["process"])
        if process is None or process not in self._known:
            self._errors.count(COLLECTOR, "unknown_process", process or repr(body.get("process"))[:40])
            return
        status = body.get("status")
        if status not in HEALTH_STATUSES:
            self._errors.count(COLLECTOR, "unknown_status", repr(status)[:40])
            return
        self.record(process, status, heartbeat=True)

    def record(self, process: str, status: str, heartbeat: bool = False) -> None:
        """Count one check; a heartbeat also restarts the silence clock of its process."""
        with self._lock:
            self._checks[(process, status)] = self._checks.get((process, status), 0) + 1
            self._healthy[process] = status == "healthy"
            if heartbeat:
                self._due[process] = self._clock() + self._silence

    def record_liveness(self, up: Mapping[str, bool]) -> None:
        """One liveness check per process (``source: liveness``): healthy when up, else missing."""
        for process in self._due:
            self.record(process, "healthy" if up.get(process) else "missing")

    def tick(self) -> None:
        """Count ``missing`` checks for every process silent past its deadline."""
        now = self._clock()
        with self._lock:
            for process, due in self._due.items():
                while now >= due:
                    self._checks[(process, "missing")] = self._checks.get((process, "missing"), 0) + 1
                    self._healthy[process] = False
                    due += self._interval
                self._due[process] = due

    def hold(self) -> None:
        """While heartbeats cannot arrive (the exporter has no NATS connection), silence is not counted."""
        due = self._clock() + self._silence
        with self._lock:
            for process in self._due:
                self._due[process] = max(self._due[process], due)

    def state(self) -> dict[str, int]:
        """Check counts as ``{"process/status": n}`` (what the state file keeps)."""
        with self._lock:
            return {f"{p}/{s}": n for (p, s), n in self._checks.items()}

    def restore(self, saved: dict[str, int]) -> None:
        """Continue the counts of an earlier exporter instance; processes no longer configured are dropped."""
        with self._lock:
            for key, n in saved.items():
                process, _, status = key.partition("/")
                if (process, status) in self._checks:
                    self._checks[(process, status)] += n

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        checks = CounterMetricFamily("soak_health_checks", "Health checks by process and status "
                                     "(healthy, degraded, unhealthy, missing)." + self._help,
                                     labels=["process", "status"])
        healthy = GaugeMetricFamily("soak_process_healthy", "1 when the latest health check of the process "
                                    "was healthy, else 0.", labels=["process"])
        with self._lock:
            for (process, status), value in sorted(self._checks.items()):
                checks.add_metric([process, status], value)
            for process, ok in sorted(self._healthy.items()):
                healthy.add_metric([process], float(ok))
        yield checks
        yield healthy
