"""Request/reply: round-trip latency and sustained requests/s against a queue group of echo responders."""

from __future__ import annotations

import asyncio
from array import array
from functools import partial
from typing import Any
from uuid import uuid4

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg

from soakwatch.bench.config import BenchConfig
from soakwatch.bench.pacing import Plan, now_ns, send_loop, stamped
from soakwatch.bench.runner import Connect, Figures, close_all
from soakwatch.bench.stats import latency_figures, per_second

QUEUE_GROUP = "soakbench"


class RequestBench:
    """``clients`` requester connections and ``responders`` responder connections in one queue group.

    Without a rate each requester waits for its reply before the next request
    (closed loop: requests/s is the most this concurrency sustains). With a
    rate, requests leave at their intended times whether or not earlier ones
    have been answered (open loop), and latency counts from the intended time.
    """

    def __init__(self, config: BenchConfig, connect: Connect) -> None:
        self.config = config
        self._connect = connect
        self._subject = f"soakbench.{uuid4().hex}.request"
        self._body = config.body()
        self._requesters: list[Client] = []
        self._responders: list[Client] = []
        self._reset()

    def _reset(self) -> None:
        self._latencies = array("q")
        self._last_ns = 0
        self._timeouts = 0
        self._errors = 0
        self._in_flight: set[asyncio.Task[None]] = set()

    async def setup(self) -> None:
        for k in range(self.config.responders):
            responder = await self._connect(f"responder-{k}")
            await responder.subscribe(self._subject, queue=QUEUE_GROUP, cb=partial(self._respond, responder))
            await responder.flush()
            self._responders.append(responder)
        self._requesters = [await self._connect(f"requester-{k}") for k in range(self.config.clients)]

    @staticmethod
    async def _respond(responder: Client, msg: Msg) -> None:
        await responder.publish(msg.reply, msg.data)

    async def _request(self, client: Client, due: int) -> None:
        try:
            await client.request(self._subject, stamped(due, self._body), timeout=self.config.timeout)
        except nats.errors.TimeoutError:
            self._timeouts += 1
            return
        except nats.errors.Error:
            self._errors += 1
            return
        self._last_ns = now_ns()
        self._latencies.append(self._last_ns - due)

    async def _request_later(self, client: Client, due: int) -> None:
        task = asyncio.create_task(self._request(client, due))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def run(self, plan: Plan) -> Figures:
        self._reset()
        send = self._request_later if plan.rate else self._request
        start = now_ns()
        await asyncio.gather(*(send_loop(plan, k, start, partial(send, c)) for k, c in enumerate(self._requesters)))
        if self._in_flight:
            await asyncio.gather(*self._in_flight)
        return {
            "requests_per_sec": per_second(len(self._latencies), self._last_ns - start),
            **latency_figures(self._latencies),
            "timeouts": self._timeouts,
            "errors": self._errors,
        }

    async def finish(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        await close_all([*self._requesters, *self._responders])
