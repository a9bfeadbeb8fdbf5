"""Paced market ticks on ``market.tick.<SYMBOL>`` with the event time in the ``Soak-Ts`` header and ``ts_ns``."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
from nats.aio.client import Client

from soakwatch.contract import TICK_TS_HEADER

DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "ADAUSDT")
PACE_SECONDS = 0.002  # publish in small bursts this often


@dataclass
class TickStats:
    """What a publisher sent, for comparison with what a probe received."""

    sent: int = 0
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate(self) -> float:
        span = self.finished - self.started
        return self.sent / span if span > 0 else 0.0


def tick_payload(symbol: str, seq: int, ts_ns: int) -> bytes:
    price = 100.0 + (seq % 1000) * 0.01
    return orjson.dumps({"symbol": symbol, "seq": seq, "price": round(price, 2), "qty": 1 + seq % 7, "ts_ns": ts_ns})


class TickPublisher:
    """Publishes ticks round-robin over symbols at ``rate`` per second, from the intended send time.

    ``event_offset_ns(i)`` shifts the event time of tick ``i`` into the past, so a
    test can give the stream a known latency distribution. ``stop()`` ends a run early.
    ``set_rate()`` changes the pace from now on; ``corrupt`` is the share of ticks sent as
    truncated JSON without the ``Soak-Ts`` header (parse gaps on purpose); ``lag_ns`` dates every
    event that much in the past (latency on purpose).
    """

    def __init__(self, client: Client, rate: float, symbols: Sequence[str] = DEFAULT_SYMBOLS,
                 event_offset_ns: Callable[[int], int] | None = None, header: bool = True) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.client, self.rate, self.symbols = client, rate, tuple(symbols)
        self.event_offset_ns = event_offset_ns
        self.header = header
        self.stats = TickStats()
        self._seq = {symbol: 0 for symbol in self.symbols}
        self._stopped = asyncio.Event()
        self.corrupt = 0.0
        self.corrupted = 0
        self.lag_ns = 0
        self._corrupt_debt = 0.0
        self._base_sent, self._base_time = 0, 0.0

    def set_rate(self, rate: float) -> None:
        """Publish at ``rate`` per second from now on."""
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self._base_sent, self._base_time, self.rate = self.stats.sent, time.monotonic(), rate

    def stop(self) -> None:
        self._stopped.set()

    async def run(self, count: int | None = None, duration: float | None = None) -> TickStats:
        """Publish ``count`` ticks, or for ``duration`` seconds, or until ``stop()``."""
        symbols = itertools.cycle(self.symbols)
        start = time.monotonic()
        self.stats = TickStats(started=time.time())
        self._base_sent, self._base_time = 0, start
        while not self._stopped.is_set():
            now = time.monotonic()
            if duration is not None and now - start >= duration:
                break
            due = self._base_sent + int((now - self._base_time) * self.rate) + 1
            if count is not None:
                due = min(due, count)
            while self.stats.sent < due:
                await self._publish_one(next(symbols))
            if count is not None and self.stats.sent >= count:
                break
            await asyncio.sleep(PACE_SECONDS)
        await self.client.flush()
        self.stats.finished = time.time()
        return self.stats

    async def _publish_one(self, symbol: str) -> None:
        index = self.stats.sent
        ts_ns = time.time_ns() - (self.event_offset_ns(index) if self.event_offset_ns else 0) - self.lag_ns
        self._seq[symbol] += 1
        payload = tick_payload(symbol, self._seq[symbol], ts_ns)
        headers = {TICK_TS_HEADER: str(ts_ns)} if self.header else None
        if self.corrupt:
            self._corrupt_debt += self.corrupt
            if self._corrupt_debt >= 1.0:
                self._corrupt_debt -= 1.0
                payload, headers = payload[: len(payload) // 2], None
                self.corrupted += 1
        await self.client.publish(f"market.tick.{symbol}", payload, headers=headers)
        self.stats.sent += 1
