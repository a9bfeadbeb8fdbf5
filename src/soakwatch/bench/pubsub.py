"""Pub/sub: publish-to-receive latency and throughput with concurrent publishers and one subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import math
from array import array
from functools import partial
from itertools import count
from typing import Any
from uuid import uuid4

from nats.aio.client import Client
from nats.aio.msg import Msg

from soakwatch.bench.config import BenchConfig
from soakwatch.bench.pacing import Plan, now_ns, read_stamp, send_loop, stamped
from soakwatch.bench.resources import MIB
from soakwatch.bench.runner import Connect, Figures, close_all
from soakwatch.bench.stats import latency_figures, per_second

NO_LIMIT = 0  # the subscriber keeps every message; a drop shows up as msgs_lost


class PubSubBench:
    """``clients`` publisher connections, one subscriber connection; each repeat on its own subject."""

    def __init__(self, config: BenchConfig, connect: Connect) -> None:
        self.config = config
        self._connect = connect
        self._prefix = f"soakbench.{uuid4().hex}"
        self._repeat = count()
        self._body = config.body()
        self._publishers: list[Client] = []
        self._subscriber: Client | None = None
        self._reset("")

    def _reset(self, subject: str) -> None:
        self._subject = subject
        self._latencies = array("q")
        self._last_ns = 0
        self._expected: int | None = None
        self._done = asyncio.Event()

    async def setup(self) -> None:
        self._subscriber = await self._connect("subscriber")
        await self._subscriber.subscribe(
            f"{self._prefix}.*", cb=self._on_message, pending_msgs_limit=NO_LIMIT, pending_bytes_limit=NO_LIMIT,
        )
        await self._subscriber.flush()
        self._publishers = [await self._connect(f"publisher-{k}") for k in range(self.config.clients)]

    async def _on_message(self, msg: Msg) -> None:
        received = now_ns()
        if msg.subject != self._subject:
            return  # a straggler of an earlier repeat
        self._latencies.append(received - read_stamp(msg.data))
        self._last_ns = received
        if self._expected is not None and len(self._latencies) >= self._expected:
            self._done.set()

    async def _publish(self, client: Client, due: int) -> None:
        await client.publish(self._subject, stamped(due, self._body))

    async def run(self, plan: Plan) -> Figures:
        self._reset(f"{self._prefix}.{next(self._repeat)}")
        start = now_ns()
        senders = [send_loop(plan, k, start, partial(self._publish, pub)) for k, pub in enumerate(self._publishers)]
        sent = sum(await asyncio.gather(*senders))
        await asyncio.gather(*(pub.flush(timeout=math.ceil(self.config.timeout)) for pub in self._publishers))
        self._expected = sent
        if len(self._latencies) < sent:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), self.config.timeout)
        return self._figures(sent, start)

    def _figures(self, sent: int, start: int) -> Figures:
        received = len(self._latencies)
        rate = per_second(received, self._last_ns - start)
        return {
            "msgs_per_sec": rate,
            "mb_per_sec": None if rate is None else round(rate * self.config.size / MIB, 3),
            **latency_figures(self._latencies),
            "msgs_lost": sent - received,
        }

    async def finish(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        await close_all([*self._publishers, *([self._subscriber] if self._subscriber else [])])
