"""Heartbeats on ``soak.health.<process>`` as health checks by status, with ``missing`` after silence."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.contract import HEALTH_STATUSES
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.labels import safe_label
from soakwatch.exporters.shared.payload import decode_object
from soakwatch.exporters.soak.config import HealthConfig

COLLECTOR = "health"


class HealthCollector(Collector):
    """Each heartbeat is one check; a process silent for ``missing_after`` intervals counts a ``missing``
    check, then one more per further interval of silence.

    Sample::

        soak_health_checks_total{process="signal",status="healthy"} 359.0
        soak_health_checks_total{process="signal",status="missing"} 1.0
        soak_process_healthy{process="signal"} 1.0
    """

    def __init__(self, config: HealthConfig, errors: ErrorCounter,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._prefix = config.subject_prefix + "."
        self._interval = config.interval
        self._silence = config.missing_after * config.interval
        self._errors = errors
        self._clock = clock
        self._lock = threading.Lock()
        start = clock()
        self._due = {p: start + self._silence for p in config.processes}
        self._checks: dict[tuple[str, str], int] = {}
        self._healthy: dict[str, bool] = {}

    def handle(self, subject: str, data: bytes) -> None:
        """One heartbeat message."""
        process = safe_label(subject[len(self._prefix):]) if subject.startswith(self._prefix) else None
        if process is None:
            self._errors.count(COLLECTOR, "bad_subject", subject[:80])
            return
        body = decode_object(data, self._errors, COLLECTOR)
        if body is None:
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

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        checks = CounterMetricFamily("soak_health_checks", "Health checks by process and status "
                                     "(healthy, degraded, unhealthy, missing).", labels=["process", "status"])
        healthy = GaugeMetricFamily("soak_process_healthy", "1 when the latest health check of the process "
                                    "was healthy, else 0.", labels=["process"])
        with self._lock:
            for (process, status), value in sorted(self._checks.items()):
                checks.add_metric([process, status], value)
            for process, ok in sorted(self._healthy.items()):
                healthy.add_metric([process], float(ok))
        yield checks
        yield healthy
