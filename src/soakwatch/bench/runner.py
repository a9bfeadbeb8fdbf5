"""One benchmark run: connect, warm up, measure each repeat with its resource figures, clean up."""

from __future__ import annotations

import math
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import nats.errors
from nats.aio.client import Client

from soakwatch.bench.config import BenchConfig
from soakwatch.bench.pacing import Plan
from soakwatch.bench.resources import ResourceSampler
from soakwatch.bench.tlserrors import tls_reason, uses_tls
from soakwatch.errors import SoakwatchError
from soakwatch.natsconn import redact_url

Connect = Callable[[str], Awaitable[Client]]
Figures = dict[str, float | None]


class BenchConnectError(SoakwatchError):
    """nats-server could not be reached or refused the connection."""


class Bench(Protocol):
    """A communication pattern: set up once, measure a plan per repeat, report extra fields, clean up."""

    async def setup(self) -> None: ...
    async def run(self, plan: Plan) -> Figures: ...
    async def finish(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


def connector(options: dict[str, Any], timeout: float) -> Connect:
    """``connect(name)`` opening one client connection; a benchmark never reconnects mid-run."""

    seen: set[str] = set()
    failures: list[Exception] = []

    async def error_cb(exc: Exception) -> None:  # each kind of error after connecting is reported once
        failures.append(exc)
        if seen and type(exc).__name__ not in seen:
            seen.add(type(exc).__name__)
            print(f"soakwatch bench: nats: {type(exc).__name__}: {exc}", file=sys.stderr)

    async def connect(name: str) -> Client:
        client = Client()
        try:
            await client.connect(
                **options, name=f"soakwatch-bench-{name}", allow_reconnect=False, max_reconnect_attempts=1,
                reconnect_time_wait=1, connect_timeout=max(1, min(math.ceil(timeout), 5)), error_cb=error_cb,
            )
        except Exception as exc:
            servers = ", ".join(redact_url(url) for url in options["servers"])
            cause = failures[-1] if isinstance(exc, nats.errors.NoServersError) and failures else exc
            reason = f"{type(cause).__name__}: {cause}"
            hint = tls_reason(cause, uses_tls(options))
            reason = f"{hint} ({reason})" if hint else reason
            raise BenchConnectError(f"soakwatch bench: cannot connect to {servers}: {reason}") from exc
        seen.add("")  # connected: report asynchronous errors from now on
        return client

    return connect


async def measure(bench: Bench, config: BenchConfig, monitor_url: str | None) -> tuple[list[Figures], dict[str, Any]]:
    """Per-repeat figures (pattern figures plus resource figures) and the pattern's extra report fields."""
    await bench.setup()
    try:
        if config.warmup:
            await bench.run(config.warmup_plan())
        runs = []
        for _ in range(config.repeats):
            with ResourceSampler(monitor_url) as sampler:
                figures = await bench.run(config.plan())
            runs.append({**figures, **sampler.figures()})
        return runs, await bench.finish()
    finally:
        await bench.close()


async def close_all(clients: list[Client]) -> None:
    """Close every connection that is still open."""
    for client in clients:
        if not client.is_closed:
            await client.close()
