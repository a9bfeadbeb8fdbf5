"""NATS connections of the demo: a bounded first connect, then reconnects forever, each new error logged once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import nats
from nats.aio.client import Client

log = logging.getLogger("soakwatch.demo")
CONNECT_TIMEOUT = 10.0


async def connect(options: dict[str, Any], name: str, timeout: float | None = None) -> Client:
    """Raises TimeoutError when no server answers within ``timeout`` (no traceback per attempt)."""
    last: list[str] = [""]

    async def error(exc: Exception) -> None:
        if str(exc) != last[0]:
            last[0] = str(exc)
            log.warning("%s: NATS error: %s", name, exc or type(exc).__name__)

    client = nats.connect(**options, name=name, error_cb=error, max_reconnect_attempts=-1,
                          reconnect_time_wait=0.5, allow_reconnect=True)
    return await asyncio.wait_for(client, timeout or CONNECT_TIMEOUT)
