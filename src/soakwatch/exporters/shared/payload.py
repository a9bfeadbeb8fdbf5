"""Decode one NATS payload into a JSON object, counting what is wrong with it."""

from __future__ import annotations

from typing import Any

import orjson

from soakwatch.exporters.shared.errorlog import ErrorCounter


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
    """A non-negative integer counter (bools and floats with a fraction are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value < 0 or value != int(value):
        return None
    return int(value)
