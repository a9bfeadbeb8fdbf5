"""The demo's fault control messages: ``soak.demo.control.<role>`` with ``{"kind", "active", "value"}``."""

from __future__ import annotations

from typing import Any

import orjson

CONTROL_PREFIX = "soak.demo.control"


def control_subject(role: str) -> str:
    return f"{CONTROL_PREFIX}.{role}"


def control_message(kind: str, active: bool, value: float | None) -> bytes:
    return orjson.dumps({"kind": kind, "active": active, "value": value})


def parse_control(data: bytes) -> tuple[str, bool, float | None] | None:
    """``(kind, active, value)``, or None for a message that is not a control message."""
    try:
        body: Any = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        return None
    value = body.get("value")
    return body["kind"], bool(body.get("active")), float(value) if isinstance(value, int | float) else None


def active_flag(kind: str, value: float | None) -> str:
    """``--active KIND[=VALUE]``: a fault already active when a restarted worker starts."""
    return kind if value is None else f"{kind}={value:g}"


def parse_active(items: list[str]) -> dict[str, float | None]:
    active: dict[str, float | None] = {}
    for item in items:
        kind, _, value = item.partition("=")
        active[kind] = float(value) if value else None
    return active
