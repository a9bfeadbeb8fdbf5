"""The verdict window: Prometheus durations, RFC 3339 or unix times, and the query step."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from soakwatch.errors import ConfigError

_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
TARGET_POINTS = 360  # range-query points per window: the plot and coverage resolution


def parse_duration(text: str, field: str = "--since") -> float:
    """Seconds of a Prometheus duration such as ``30s``, ``5m`` or ``1h30m``."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        raise ConfigError(field, f"must be a Prometheus duration like 30s, 5m or 1h30m, got {text!r}")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))
    if seconds <= 0:
        raise ConfigError(field, f"must be > 0, got {text!r}")
    return float(seconds)


def parse_time(text: str, field: str = "--until") -> float:
    """Unix seconds from ``1767229200``, ``1767229200.5`` or RFC 3339 (``2026-01-01T01:00:00Z``)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(field, f"must be RFC 3339 or unix seconds, got {text!r}") from None
    if moment.tzinfo is None:
        raise ConfigError(field, f"needs a timezone offset (e.g. Z or +09:00), got {text!r}")
    return moment.timestamp()


def parse_tz(name: str, field: str = "--tz") -> tzinfo:
    """A timezone by IANA name (``Asia/Tokyo``) or ``UTC``."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(field, f"must be an IANA timezone such as UTC or Asia/Tokyo, got {name!r}") from None


@dataclass(frozen=True)
class Window:
    """``[start, end]`` in unix seconds with the step of range queries and the rate window of plots."""

    start: float
    end: float

    @classmethod
    def ending(cls, end: float, seconds: float) -> Window:
        return cls(end - seconds, end)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def step(self) -> float:
        return float(max(1, math.ceil(self.seconds / TARGET_POINTS)))

    @property
    def rate_window(self) -> str:
        """Range of ``rate()`` in plots: one minute, or two steps on long windows."""
        return f"{int(max(60.0, 2 * self.step))}s"

    @property
    def promql(self) -> str:
        """The window as a PromQL range (``3600s``)."""
        return f"{round(self.seconds)}s"

    def iso(self, ts: float, tz: tzinfo = UTC) -> str:
        return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")
