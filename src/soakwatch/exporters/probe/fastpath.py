"""A zero-copy message path for nats-py: chosen subscriptions skip the Msg object and the callback queue.

nats-py's parser awaits ``client._process_msg(sid, subject, reply, data, headers)``
for every MSG/HMSG; the normal path builds a ``Msg``, parses headers into a dict
and hands it to the subscription's task through an ``asyncio.Queue``. For the
probe's subscriptions that costs more than the measurement itself, so this
wraps ``_process_msg`` and calls a plain function with the raw bytes instead.
It relies on nats-py internals: nats-py is pinned and
tests/unit/test_nats_internals.py fails loudly when those internals change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RawHandler = Callable[[bytes, bytes, bytes], None]  # (subject, data, raw header block)


def install(client: Any, sids: set[int], handler: RawHandler) -> None:
    """Route messages of ``sids`` on ``client`` to ``handler``; others take nats-py's normal path."""
    original = client._process_msg

    async def process_msg(sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes) -> None:
        if sid in sids:
            handler(subject, data, headers)
            return
        await original(sid, subject, reply, data, headers)

    client._process_msg = process_msg
