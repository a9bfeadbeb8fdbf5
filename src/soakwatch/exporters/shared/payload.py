"""Decode one NATS payload into a JSON object and check the figures taken from it, counting what is wrong."""

from __future__ import annotations

import math
from typing import Any

import orjson

from soakwatch.exporters.shared.errorlog import ErrorCounter

MAX_COUNTER = 2**53  # counters and gauges taken from input must be below this (exact in a float64)
MAX_FUTURE_SKEW_SECONDS = 300.0  # an event or export time further ahead of the receive time is refused


def decode_object(data: bytes, errors: ErrorCounter, collector: str) -> dict[str, Any] | None:
    """The JSON object in ``data``, or None after counting ``bad_json`` / ``not_object``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        errors.count(collector, "bad_json", str(exc))
        return None
    if not isinstance(value, dict):
        errors.count(collector, "not_object", type(value).__name__)
        return None
    return value


def counter_value(value: Any) -> int | None:
    """A finite non-negative integer below MAX_COUNTER (bools, fractions, inf and nan are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not 0 <= value < MAX_COUNTER or value != int(value):
        return None
    return int(value)


def not_in_future(ts: float, now: float, skew: float = MAX_FUTURE_SKEW_SECONDS) -> bool:
    """True for a finite epoch time at most ``skew`` seconds after ``now``."""
    return math.isfinite(ts) and ts <= now + skew
