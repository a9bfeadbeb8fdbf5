"""The soak exporter's own NATS connection: connected or not, reconnects, and error reasons by name."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

_AUTH = re.compile(r"authori[sz]ation|authentication|permissions violation", re.IGNORECASE)


class NatsStatus(Collector):
    """What the exporter's subscriptions depend on: without a connection no heartbeat can arrive.

    Sample::

        soak_exporter_nats_connected 1.0
        soak_exporter_nats_reconnects_total 0.0
    """

    def __init__(self) -> None:
        self.connected = False
        self.reconnects = 0
        self._lock = threading.Lock()

    def set_connected(self, connected: bool) -> None:
        self.connected = connected

    def reconnected(self) -> None:
        with self._lock:
            self.reconnects += 1
            self.connected = True

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily("soak_exporter_nats_connected", "1 while the soak exporter is connected to NATS.",
                                value=float(self.connected))
        yield CounterMetricFamily("soak_exporter_nats_reconnects", "Reconnects of the soak exporter to NATS.",
                                  value=self.reconnects)


def error_reason(exc: BaseException) -> str:
    """``authorization`` for a rejected login, else the exception's class in snake case."""
    if _AUTH.search(str(exc)) or _AUTH.search(type(exc).__name__):
        return "authorization"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", type(exc).__name__).lower()
