"""One signal as read back from a sink: its time and the two flags parity compares."""

from __future__ import annotations

from typing import NamedTuple


class SinkRecord(NamedTuple):
    ts: float | None
    confirm: bool
    strong: bool
