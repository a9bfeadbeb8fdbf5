"""The demo's report role: figures of the signal stream, exported once a minute; each attempt on soak.report.export."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time

import orjson
from nats.aio.msg import Msg

from soakwatch.contract import SIGNAL_SUBJECT
from soakwatch.demo import timeseries
from soakwatch.demo.runtime import Runtime
from soakwatch.demo.timeseries import Figures

log = logging.getLogger("soakwatch.demo.report")


class Reporter:
    """Exports at start, every ``--export-interval`` and once more on stop; a failed push is a warning only."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.kind, self.url = timeseries.target_from_env()
        self.total = self.strong = 0
        self.gating: collections.Counter[str] = collections.Counter()
        self.recent: collections.deque[float] = collections.deque()
        self.ok = self.errors = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.rt.nc.subscribe(SIGNAL_SUBJECT, cb=self._on_signal)
        self._task = asyncio.create_task(self._loop())

    async def _on_signal(self, msg: Msg) -> None:
        try:
            body = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            return
        if not isinstance(body, dict):
            return
        self.total += 1
        self.strong += body.get("strong") is True
        if body.get("gating"):
            self.gating[str(body["gating"])] += 1
        self.recent.append(time.monotonic())

    def figures(self) -> Figures:
        horizon = time.monotonic() - 60.0
        while self.recent and self.recent[0] < horizon:
            self.recent.popleft()
        ratio = self.strong / self.total if self.total else 0.0
        return Figures(self.total, round(ratio, 6), len(self.recent), dict(self.gating))

    async def _loop(self) -> None:
        start = time.monotonic()
        n = 0
        while True:
            await self.export()
            n += 1
            await asyncio.sleep(max(0.0, start + n * self.rt.args.export_interval - time.monotonic()))

    async def export(self) -> None:
        url = timeseries.UNREACHABLE_URL if "fail" in self.rt.faults else self.url
        error = None
        try:
            await asyncio.to_thread(timeseries.push, self.kind, url, self.figures())
            self.ok += 1
        except Exception as exc:  # a failed push never stops the run
            self.errors += 1
            error = f"{type(exc).__name__}: {exc}"[:200]
            log.warning("report: %s export failed: %s", self.kind, error)
        with contextlib.suppress(Exception):
            await self.rt.inst.export_event(self.kind, ok=error is None, error=error)

    def on_fault(self, kind: str, active: bool, value: float | None) -> None:
        """``fail`` is read from the runtime's table at each export."""

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.export()
        log.info("report: exports ok %d, failed %d", self.ok, self.errors)
