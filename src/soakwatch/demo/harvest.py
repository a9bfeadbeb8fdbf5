"""The demo's harvest role: ticks into a bounded queue, drained by a consumer; cumulative harvester stats."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from nats.aio.msg import Msg

from soakwatch.contract import TICK_SUBJECT
from soakwatch.demo.runtime import Runtime

log = logging.getLogger("soakwatch.demo.harvest")


class Harvester:
    """A full queue drops the tick (``queue_dropped``); the ``drop`` fault stops the consumer meanwhile."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=rt.args.queue_size)
        self.dropped = self.timeouts = self.reconnects = self.consumed = self.bad = 0
        self._resume = asyncio.Event()
        self._resume.set()
        self._tasks: list[asyncio.Task[None]] = []
        for kind, value in rt.faults.items():
            self.on_fault(kind, True, value)

    async def start(self) -> None:
        await self.rt.nc.subscribe(TICK_SUBJECT, cb=self._on_tick)
        self._tasks = [asyncio.create_task(self._consume()), asyncio.create_task(self._stats())]

    async def _on_tick(self, msg: Msg) -> None:
        try:
            self.queue.put_nowait(msg.data)
        except asyncio.QueueFull:
            self.dropped += 1

    async def _consume(self) -> None:
        while True:
            await self._resume.wait()
            data = await self.queue.get()
            try:
                orjson.loads(data)
                self.consumed += 1
            except orjson.JSONDecodeError:
                self.bad += 1

    async def _stats(self) -> None:
        while True:
            await self.publish_stats()
            await asyncio.sleep(self.rt.args.stats_interval)

    async def publish_stats(self) -> None:
        with contextlib.suppress(Exception):
            await self.rt.inst.harvester_stats(queue_dropped=self.dropped, substream_timeouts=self.timeouts,
                                               reconnect_count=self.reconnects, queue_depth=self.queue.qsize())

    def on_fault(self, kind: str, active: bool, value: float | None) -> None:
        if kind == "drop":
            (self._resume.clear if active else self._resume.set)()
        elif kind == "timeout" and active:
            self.timeouts += int(value or 1)
        elif kind == "reconnect" and active:
            self.reconnects += int(value or 1)

    async def stop(self) -> None:
        self._resume.set()
        for task in self._tasks:
            task.cancel()
        await self.publish_stats()
        log.info("harvest: consumed %d, bad %d, dropped %d", self.consumed, self.bad, self.dropped)
