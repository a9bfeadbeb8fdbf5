"""Send loops: open-loop pacing at a fixed rate (intended send times) or flat out, by count or duration."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

now_ns = time.perf_counter_ns  # CLOCK_MONOTONIC on Linux; every timestamp of a run comes from it
YIELD_EVERY = 64  # senders yield this often so the flusher and the receivers can run


@dataclass(frozen=True)
class Plan:
    """What each client sends in one repeat: a count per client (None: until ``duration``), at ``rate`` or flat out."""

    counts: Sequence[int | None]
    rate: float | None = None
    duration: float | None = None

    @property
    def clients(self) -> int:
        return len(self.counts)

    def flat_out(self) -> Plan:
        """The same plan without pacing."""
        return Plan(self.counts, None, self.duration)


def split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as possible."""
    base, extra = divmod(total, parts)
    return [base + (1 if part < extra else 0) for part in range(parts)]


def stamped(due_ns: int, body: bytes) -> bytes:
    """The payload: the intended send time (8 bytes, big-endian ns) followed by ``body``."""
    return due_ns.to_bytes(8, "big") + body


def read_stamp(payload: bytes) -> int:
    return int.from_bytes(payload[:8], "big")


async def send_loop(plan: Plan, client: int, start_ns: int, send: Callable[[int], Awaitable[None]]) -> int:
    """Call ``send(intended_ns)`` for each message of ``client``; returns how many were sent.

    With a rate, message ``i`` is due at ``start + (client + i * clients) / rate``
    and ``intended_ns`` is that due time even when the loop runs late, so a
    stall is charged to every message it delayed (no coordinated omission).
    Without a rate ``intended_ns`` is the actual send time.
    """
    rate, count = plan.rate, plan.counts[client]
    interval = plan.clients * 1e9 / rate if rate else 0.0
    offset = client * 1e9 / rate if rate else 0.0
    end_ns = start_ns + int(plan.duration * 1e9) if plan.duration else None
    sent = 0
    while count is None or sent < count:
        due = await _wait_due(start_ns + int(offset + sent * interval)) if rate else now_ns()
        if end_ns is not None and due >= end_ns:
            break
        await send(due)
        sent += 1
        if sent % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return sent


async def _wait_due(due_ns: int) -> int:
    delay = due_ns - now_ns()
    if delay > 0:
        await asyncio.sleep(delay / 1e9)
    return due_ns
