"""Label values taken from input: checked so bad input cannot explode the series count."""

from __future__ import annotations

import re
from typing import Any

_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def safe_label(value: Any) -> str | None:
    """``value`` when it is a short plain token, else None."""
    return value if isinstance(value, str) and _SAFE.match(value) else None


class LabelBudget:
    """At most ``limit`` distinct label values; later new values become ``other``."""

    def __init__(self, limit: int = 50) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def admit(self, value: str) -> str:
        value = value[:64]
        if value in self._seen:
            return value
        if len(self._seen) >= self._limit:
            return "other"
        self._seen.add(value)
        return value
