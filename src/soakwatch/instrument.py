"""Publish heartbeats, harvester stats, signals and export events from a Python pipeline.

Usage, inside a pipeline process that already has a nats-py connection::

    from soakwatch.instrument import Instrument

    inst = Instrument(nc, process="signal")
    await inst.heartbeat("healthy")
    await inst.signal(confirm=True, strong=False, consistency="ok", subject="signal.BTCUSDT")
    await inst.harvester_stats(queue_dropped=0, substream_timeouts=0, reconnect_count=1, queue_depth=4)
    await inst.export_event("prometheus", ok=True)

Payloads are exactly those of :mod:`soakwatch.contract`, so the soak exporter reads them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from soakwatch import contract

__all__ = ["Instrument"]


class _Publisher(Protocol):
    async def publish(self, subject: str, payload: bytes = b"", **kwargs: Any) -> None: ...


class Instrument:
    """Thin publisher of the soak contract's messages over an existing NATS connection."""

    def __init__(
        self, nc: _Publisher, process: str, pid: int | None = None, clock: Callable[[], float] = time.time,
    ) -> None:
        self._nc = nc
        self.process = process
        self.pid = os.getpid() if pid is None else pid
        self._clock = clock

    async def _publish(self, subject: str, payload: dict[str, Any]) -> None:
        await self._nc.publish(subject, orjson.dumps(payload))

    async def heartbeat(self, status: str = "healthy") -> None:
        """One health check on ``soak.health.<process>``."""
        body = contract.heartbeat(self.process, status, self.pid, self._clock())
        await self._publish(contract.health_subject(self.process), body)

    async def harvester_stats(self, **counters: int) -> None:
        """Cumulative harvester counters on ``soak.harvester.stats``."""
        await self._publish(contract.HARVESTER_STATS_SUBJECT, contract.harvester_stats(**counters))

    async def signal(self, subject: str = "signal.default", **fields: Any) -> None:
        """One signal on ``signal.<...>`` (fields of :func:`soakwatch.contract.signal`)."""
        if not subject.startswith("signal."):
            raise ValueError(f"signal subject must start with 'signal.', got {subject!r}")
        await self._publish(subject, contract.signal(**fields))

    async def export_event(self, backend: str, ok: bool = True, error: str | None = None) -> None:
        """One reporter export attempt on ``soak.report.export``."""
        await self._publish(contract.REPORT_EXPORT_SUBJECT, contract.export_event(backend, ok, error, self._clock()))

    async def heartbeat_forever(self, interval: float = contract.HEARTBEAT_INTERVAL_SECONDS,
                                status: Callable[[], str] = lambda: "healthy") -> None:
        """Publish a heartbeat every ``interval`` seconds until cancelled."""
        while True:
            await self.heartbeat(status())
            await asyncio.sleep(interval)
