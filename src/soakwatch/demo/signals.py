"""The demo's signal role: derives a signal from every N ticks of a symbol and publishes it on ``signal.<symbol>``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import orjson
from nats.aio.msg import Msg

from soakwatch.contract import TICK_SUBJECT
from soakwatch.demo.runtime import Runtime

log = logging.getLogger("soakwatch.demo.signals")
GATING_REASONS = ("spread", "volatility", "cooldown")


@dataclass
class _Window:
    count: int = 0
    first: float = 0.0
    last: float = 0.0


def derive(symbol: str, window: _Window, rng: random.Random) -> dict[str, Any]:
    """A signal from one window of ticks: the price move decides ``confirm``, noise the rest."""
    move = window.last - window.first
    confirm = move >= 0 or rng.random() < 0.3
    strong = confirm and rng.random() < 0.35
    consistency = "low" if rng.random() < 0.1 else "ok"
    gating = rng.choice(GATING_REASONS) if rng.random() < 0.1 else None
    return {"confirm": confirm, "strong": strong, "consistency": consistency, "gating": gating,
            "symbol": symbol, "ts": time.time()}


class SignalEngine:
    """The ``stall`` fault keeps reading ticks but publishes nothing."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.every = max(1, rt.args.signal_every)
        self.rng = random.Random(rt.args.seed)
        self.windows: dict[str, _Window] = {}
        self.pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.published = self.bad = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.rt.nc.subscribe(TICK_SUBJECT, cb=self._on_tick)
        self._task = asyncio.create_task(self._publish())

    async def _on_tick(self, msg: Msg) -> None:
        try:
            tick = orjson.loads(msg.data)
            price = float(tick["price"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            self.bad += 1
            return
        symbol = msg.subject.rpartition(".")[2]
        window = self.windows.setdefault(symbol, _Window(first=price))
        window.count += 1
        window.last = price
        if window.count >= self.every:
            self.windows[symbol] = _Window(first=price)
            signal = derive(symbol, window, self.rng)
            if "stall" not in self.rt.faults:
                self.pending.put_nowait(signal)

    async def _publish(self) -> None:
        while True:
            signal = await self.pending.get()
            fields = {k: v for k, v in signal.items() if k != "symbol"}
            with contextlib.suppress(Exception):
                await self.rt.inst.signal(subject=f"signal.{signal['symbol']}", symbol=signal["symbol"], **fields)
                self.published += 1

    def on_fault(self, kind: str, active: bool, value: float | None) -> None:
        """Faults are read from the runtime's table at each tick."""

    async def stop(self) -> None:
        while not self.pending.empty():
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
        log.info("signal: published %d, bad ticks %d", self.published, self.bad)
