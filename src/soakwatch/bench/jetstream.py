"""JetStream: publish throughput and publish-to-ack latency, one publish at a time (sync) and in async batches."""

from __future__ import annotations

import asyncio
from array import array
from functools import partial
from typing import Any
from uuid import uuid4

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from soakwatch.bench.config import BenchConfig
from soakwatch.bench.pacing import Plan, now_ns, send_loop, stamped
from soakwatch.bench.resources import MIB
from soakwatch.bench.runner import Connect, Figures, close_all
from soakwatch.bench.stats import latency_figures, per_second


class _Phase:
    """Latencies and failures of one phase of one repeat."""

    def __init__(self) -> None:
        self.latencies = array("q")
        self.last_ns = 0
        self.timeouts = 0
        self.errors = 0

    def acked(self, due: int) -> None:
        self.last_ns = now_ns()
        self.latencies.append(self.last_ns - due)

    def figures(self, start: int, size: int, prefix: str) -> Figures:
        rate = per_second(len(self.latencies), self.last_ns - start)
        return {
            f"{prefix}msgs_per_sec": rate,
            f"{prefix}mb_per_sec": None if rate is None else round(rate * size / MIB, 3),
            **latency_figures(self.latencies, prefix),
        }


class JetStreamBench:
    """A file-backed stream created for the run (removed at the end unless ``keep_stream``).

    Sync phase: each client publishes and waits for the ack before the next
    message (paced by ``--rate`` when given). Async phase: each client keeps up
    to ``batch`` publishes in flight, waits for their acks, then sends the next
    batch, flat out.
    """

    def __init__(self, config: BenchConfig, connect: Connect) -> None:
        self.config = config
        self._connect = connect
        token = uuid4().hex[:12]
        self.stream = config.stream or f"SOAKBENCH_{token.upper()}"
        self._subject = f"soakbench.{(config.stream or token).lower()}.js"
        self._body = config.body()
        self._clients: list[Client] = []
        self._js: list[JetStreamContext] = []
        self._created = False

    async def setup(self) -> None:
        self._clients = [await self._connect(f"jetstream-{k}") for k in range(self.config.clients)]
        limit = max(self.config.batch, 4000)
        self._js = [c.jetstream(timeout=self.config.timeout, publish_async_max_pending=limit) for c in self._clients]
        await self._js[0].add_stream(name=self.stream, subjects=[self._subject])
        self._created = True

    async def run(self, plan: Plan) -> Figures:
        sync, flat = _Phase(), _Phase()
        start = now_ns()
        senders = [send_loop(plan, k, start, partial(self._sync, js, sync)) for k, js in enumerate(self._js)]
        await asyncio.gather(*senders)
        async_start, flat_out = now_ns(), plan.flat_out()
        await asyncio.gather(*(self._async_client(flat_out, k, async_start, flat) for k in range(len(self._js))))
        return {
            **sync.figures(start, self.config.size, ""),
            **flat.figures(async_start, self.config.size, "async_"),
            "timeouts": sync.timeouts + flat.timeouts,
            "errors": sync.errors + flat.errors,
        }

    async def _sync(self, js: JetStreamContext, phase: _Phase, due: int) -> None:
        try:
            await js.publish(self._subject, stamped(due, self._body), timeout=self.config.timeout)
        except nats.errors.TimeoutError:
            phase.timeouts += 1
        except nats.errors.Error:
            phase.errors += 1
        else:
            phase.acked(due)

    async def _async_client(self, plan: Plan, client: int, start: int, phase: _Phase) -> None:
        js, pending = self._js[client], []

        async def send(due: int) -> None:
            future = await js.publish_async(self._subject, stamped(due, self._body))
            future.add_done_callback(partial(_on_ack, phase, due))
            pending.append(future)
            if len(pending) >= self.config.batch:
                await self._drain(pending, phase)

        await send_loop(plan, client, start, send)
        await self._drain(pending, phase)

    async def _drain(self, pending: list[asyncio.Future[Any]], phase: _Phase) -> None:
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.config.timeout)
            for future in late:
                future.cancel()
            phase.timeouts += len(late)
            pending.clear()

    async def finish(self) -> dict[str, Any]:
        info = await self._js[0].stream_info(self.stream)
        return {"stream": self.stream, "stream_kept": self.config.keep_stream, "stream_messages": info.state.messages}

    async def close(self) -> None:
        try:
            if self._created and not self.config.keep_stream:
                await self._js[0].delete_stream(self.stream)
        finally:
            await close_all(self._clients)


def _on_ack(phase: _Phase, due: int, future: asyncio.Future[Any]) -> None:
    if future.cancelled():
        return  # counted as a timeout by the drain
    if future.exception() is not None:
        phase.errors += 1
    else:
        phase.acked(due)
