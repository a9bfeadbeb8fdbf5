"""Bad input counted in ``soak_exporter_errors_total{collector,reason}`` and logged once per reason a minute."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("soakwatch.exporter")


class ErrorCounter(Collector):
    """Counts bad input per collector and reason; never raises.

    Sample::

        soak_exporter_errors_total{collector="sinks",reason="jsonl_bad_json"} 2.0
    """

    def __init__(self, log_every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._logged: dict[tuple[str, str], float] = {}
        self._log_every = log_every
        self._clock = clock
        self._lock = threading.Lock()

    def count(self, collector: str, reason: str, detail: str = "") -> None:
        key = (collector, reason)
        now = self._clock()
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            last = self._logged.get(key)
            due = last is None or now - last >= self._log_every
            if due:
                self._logged[key] = now
        if due:
            log.warning("soak exporter: %s: %s%s", collector, reason, f" ({detail})" if detail else "")

    def declare(self, collector: str, reasons: tuple[str, ...]) -> None:
        """Expose these reasons at 0 from the start, so a first error shows as an increase."""
        with self._lock:
            for reason in reasons:
                self._counts.setdefault((collector, reason), 0)

    def get(self, collector: str, reason: str) -> int:
        return self._counts.get((collector, reason), 0)

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def state(self) -> dict[str, int]:
        """The counts as ``{"collector/reason": n}`` (what the state file keeps)."""
        return {f"{c}/{r}": n for (c, r), n in self.snapshot().items()}

    def restore(self, saved: dict[str, int]) -> None:
        """Add counts saved by an earlier instance of the exporter (the shape is checked by the caller)."""
        with self._lock:
            for key, n in saved.items():
                collector, _, reason = key.partition("/")
                self._counts[(collector, reason)] = self._counts.get((collector, reason), 0) + n

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "soak_exporter_errors", "Bad input seen by the soak exporter, by collector and reason.",
            labels=["collector", "reason"],
        )
        with self._lock:
            items = sorted(self._counts.items())
        for (collector, reason), value in items:
            family.add_metric([collector, reason], value)
        yield family
