"""Read a tick's event time and sequence number: the ``Soak-Ts`` header or a JSON field, by reason on failure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from soakwatch.contract import TICK_TS_HEADER

DEFAULT_TS_FIELDS = ("ts_ns", "ts_ms", "E", "T", "ts")
TS_UNITS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
# parse-gap reasons (label values of soak_nats_parse_errors_total)
NOT_JSON, NO_TIMESTAMP, BAD_TIMESTAMP, BAD_SEQUENCE = "not_json", "no_timestamp", "bad_timestamp", "bad_sequence"
PARSE_GAP_REASONS = (NOT_JSON, NO_TIMESTAMP, BAD_TIMESTAMP, BAD_SEQUENCE)
# An event time more than a day away from the receive time is impossible, not skew.
MAX_SKEW_NS = 86_400 * 1_000_000_000

_HEADER_KEY = TICK_TS_HEADER.encode() + b":"
_FIELD_UNITS = {"E": "ms", "T": "ms"}


class ParseGap(Exception):
    """A tick the probe cannot use; ``reason`` is one of PARSE_GAP_REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def unit_for_field(name: str) -> str | None:
    """The unit a field's name implies (``ts_ms`` -> ms, ``E`` -> ms), or None to infer from magnitude."""
    if name in _FIELD_UNITS:
        return _FIELD_UNITS[name]
    suffix = name.rpartition("_")[2]
    return suffix if suffix in TS_UNITS and "_" in name else None


def unit_by_magnitude(value: float) -> str:
    """Seconds, ms, us or ns since the epoch, judged by size (valid from 1973 to 2286)."""
    if value < 1e11:
        return "s"
    if value < 1e14:
        return "ms"
    return "us" if value < 1e17 else "ns"


def header_ts_ns(headers: bytes | Mapping[str, str] | None) -> int | None:
    """``Soak-Ts`` from a raw ``NATS/1.0`` header block or a parsed header dict; None when absent."""
    if not headers:
        return None
    raw: bytes | str | None
    if isinstance(headers, Mapping):
        raw = headers.get(TICK_TS_HEADER)
    else:
        start = headers.find(_HEADER_KEY)
        end = headers.find(b"\r\n", start)
        raw = None if start < 0 else headers[start + len(_HEADER_KEY): end if end >= 0 else None]
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ParseGap(BAD_TIMESTAMP) from None


@dataclass(frozen=True)
class TickReader:
    """Extracts ``(event_ns, seq)`` from a tick; raises :class:`ParseGap` with the reason."""

    ts_fields: tuple[str, ...] = DEFAULT_TS_FIELDS
    ts_unit: str | None = None
    seq_field: str | None = None

    def read(self, data: bytes, headers: bytes | Mapping[str, str] | None) -> tuple[int, int | None]:
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise ParseGap(NOT_JSON) from None
        if not isinstance(payload, dict):
            raise ParseGap(NOT_JSON)
        event_ns = header_ts_ns(headers)
        if event_ns is None:
            event_ns = self._field_ts_ns(payload)
        return event_ns, self._sequence(payload)

    def _field_ts_ns(self, payload: dict[str, Any]) -> int:
        for name in self.ts_fields:
            if name in payload:
                return _to_ns(payload[name], self.ts_unit or unit_for_field(name))
        raise ParseGap(NO_TIMESTAMP)

    def _sequence(self, payload: dict[str, Any]) -> int | None:
        if self.seq_field is None:
            return None
        value = payload.get(self.seq_field)
        if type(value) is not int or value < 0:
            raise ParseGap(BAD_SEQUENCE)
        return value


def _to_ns(value: Any, unit: str | None) -> int:
    if isinstance(value, str):
        try:
            value = int(value) if value.isdigit() else float(value)
        except ValueError:
            raise ParseGap(BAD_TIMESTAMP) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ParseGap(BAD_TIMESTAMP)
    try:
        return int(value * TS_UNITS[unit or unit_by_magnitude(value)])
    except (OverflowError, ValueError):  # inf, nan
        raise ParseGap(BAD_TIMESTAMP) from None
