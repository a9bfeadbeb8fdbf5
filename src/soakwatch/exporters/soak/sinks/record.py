"""One signal as read back from a sink: its time and the two flags parity compares."""

from __future__ import annotations

from typing import NamedTuple

from soakwatch.exporters.shared.fieldmap import FieldMap


class SinkRecord(NamedTuple):
    ts: float | None
    confirm: bool
    strong: bool


def epoch_seconds(value: object) -> float | None:
    """A record time in epoch seconds; milliseconds, microseconds and nanoseconds are recognised by size."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    ts = float(value)
    for limit, scale in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
        if abs(ts) >= limit:
            return ts / scale
    return ts


def field_label(mapping: FieldMap, contract: str) -> str:
    """A sink field as the pipeline names it, with the mapping that names it (``is_strong (signals.fields.strong)``)."""
    name = mapping.name(contract)
    return repr(name) if name == contract else f"{name!r} (signals.fields.{contract})"
