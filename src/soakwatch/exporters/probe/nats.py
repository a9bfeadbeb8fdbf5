"""Connect the probe to NATS: subscriptions (fast path or nats-py's normal path) and connection events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError

from soakwatch.exporters.probe import fastpath
from soakwatch.exporters.probe.state import Probe
from soakwatch.natsconn import redact_url

log = logging.getLogger("soakwatch.probe")


async def connect(probe: Probe, options: dict[str, Any], timeout: float = 10.0) -> Client:
    """Connect within ``timeout`` (TimeoutError otherwise), then reconnect forever.

    Every disconnect, reconnect and client-side drop lands in ``probe``; a
    repeated error (a refused reconnect every half second) is logged once.
    """
    last_error = ""

    async def disconnected() -> None:
        if probe.closing:
            return
        probe.set_connected(False)
        log.warning("probe: disconnected from NATS")

    async def reconnected() -> None:
        nonlocal last_error
        last_error = ""
        probe.count_reconnect()
        url = client.connected_url.geturl() if client.connected_url else "NATS"
        log.warning("probe: reconnected to %s", redact_url(url))

    async def error(exc: Exception) -> None:
        nonlocal last_error
        if isinstance(exc, SlowConsumerError):
            probe.count_dropped()
        elif str(exc) != last_error:
            last_error = str(exc)
            log.warning("probe: NATS error: %s", exc)

    client = await asyncio.wait_for(nats.connect(
        **options, disconnected_cb=disconnected, reconnected_cb=reconnected, error_cb=error,
        max_reconnect_attempts=-1, reconnect_time_wait=0.5, allow_reconnect=True,
    ), timeout)
    probe.set_connected(True)
    return client


async def subscribe(client: Client, probe: Probe, subjects: Sequence[str], queue: str = "",
                    fast_path: bool = True, pending_msgs_limit: int = 512 * 1024) -> None:
    """Subscribe to ``subjects``; the fast path hands raw bytes to ``probe.record`` inline."""
    if fast_path:
        sids: set[int] = set()
        fastpath.install(client, sids, probe.record)
        for subject in subjects:
            sub = await client.subscribe(subject, queue=queue)
            sids.add(sub._id)
            while not sub._pending_queue.empty():  # anything that arrived before the sid was routed
                msg = sub._pending_queue.get_nowait()
                probe.record(msg.subject, msg.data, msg.headers)
    else:
        async def on_message(msg: Msg) -> None:
            probe.record(msg.subject, msg.data, msg.headers)

        for subject in subjects:
            await client.subscribe(subject, queue=queue, cb=on_message, pending_msgs_limit=pending_msgs_limit,
                                   pending_bytes_limit=0)  # the message limit alone decides drops
    await client.flush()


async def close(client: Client, probe: Probe) -> None:
    """Close the connection on a clean stop; the disconnect that follows is not counted as an outage."""
    probe.closing = True
    await client.close()
