"""A background thread that pushes a registry's metrics every interval, with a final push on stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

log = logging.getLogger("soakwatch.outputs")


class PeriodicPusher:
    """Calls ``push()`` every ``interval`` seconds on a daemon thread; failures are counted, never raised."""

    def __init__(self, name: str, push: Callable[[], None], interval: float) -> None:
        self.name = name
        self._push = push
        self.interval = interval
        self.ok = 0
        self.errors = 0
        self._last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"soakwatch-{name}-push", daemon=True)

    def start(self) -> PeriodicPusher:
        self._thread.start()
        return self

    def push_once(self) -> bool:
        """One push; True on success. Each new kind of failure is logged once."""
        try:
            self._push()
        except Exception as exc:
            self.errors += 1
            message = f"{type(exc).__name__}: {exc}"
            if message != self._last_error:
                log.warning("soakwatch: %s push failed: %s", self.name, message)
                self._last_error = message
            return False
        self.ok += 1
        self._last_error = ""
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.push_once()

    def stop(self) -> None:
        """Stop the thread, then push once more so the last values are not lost."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 5)
        self.push_once()


class PushCounterCollector(Collector):
    """``soak_output_pushes_total{output,result}`` for every pusher of a process.

    Sample::

        soak_output_pushes_total{output="otlp",result="ok"} 12.0
        soak_output_pushes_total{output="otlp",result="error"} 0.0
    """

    def __init__(self, pushers: list[PeriodicPusher]) -> None:
        self._pushers = pushers

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "soak_output_pushes", "Pushes of this exporter's metrics to OTLP or InfluxDB, by result.",
            labels=["output", "result"],
        )
        for pusher in self._pushers:
            family.add_metric([pusher.name, "ok"], pusher.ok)
            family.add_metric([pusher.name, "error"], pusher.errors)
        yield family


def register_push_counters(registry: CollectorRegistry, pushers: list[PeriodicPusher]) -> None:
    registry.register(PushCounterCollector(pushers))
