"""Dual-sink parity: per-second counts of each sink and their differences over an aligned window."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from soakwatch.exporters.soak.sinks.record import SinkRecord

FIELDS = ("total", "confirm", "strong_ratio")


@dataclass(frozen=True)
class Totals:
    total: int = 0
    confirm: int = 0
    strong: int = 0

    @property
    def strong_ratio(self) -> float:
        return self.strong / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"total": self.total, "confirm": self.confirm, "strong": self.strong,
                "strong_ratio": round(self.strong_ratio, 6)}


class SinkCounts:
    """Every record counted (``totals``) and, for records with a time, per-second buckets."""

    def __init__(self) -> None:
        self.totals = Totals()
        self.buckets: dict[int, list[int]] = {}
        self.first_ts: float | None = None
        self.last_ts: float | None = None

    def add(self, records: Iterable[SinkRecord]) -> None:
        total = confirm = strong = 0
        for ts, is_confirm, is_strong in records:
            total, confirm, strong = total + 1, confirm + is_confirm, strong + is_strong
            if ts is None:
                continue
            bucket = self.buckets.setdefault(math.floor(ts), [0, 0, 0])
            bucket[0] += 1
            bucket[1] += is_confirm
            bucket[2] += is_strong
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        t = self.totals
        self.totals = Totals(t.total + total, t.confirm + confirm, t.strong + strong)

    def window(self, start: int | None, end: int | None) -> Totals:
        """Records with ``start <= floor(ts) < end`` (either bound open when None)."""
        total = confirm = strong = 0
        for second, (n, c, s) in self.buckets.items():
            if (start is None or second >= start) and (end is None or second < end):
                total, confirm, strong = total + n, confirm + c, strong + s
        return Totals(total, confirm, strong)


def diff_pct(a: float, b: float) -> float:
    """``|a - b| / max(|a|, |b|)`` in percent; 0 when both are 0."""
    top = max(abs(a), abs(b))
    return 0.0 if top == 0 else abs(a - b) / top * 100.0


def compare(a: Totals, b: Totals) -> dict[str, float]:
    """``{"total": pct, "confirm": pct, "strong_ratio": pct}``."""
    return {"total": diff_pct(a.total, b.total), "confirm": diff_pct(a.confirm, b.confirm),
            "strong_ratio": diff_pct(a.strong_ratio, b.strong_ratio)}


def aligned_end(sinks: Iterable[SinkCounts], include_last_second: bool) -> int | None:
    """The exclusive end second both sinks have reached: the earlier of their last record times.

    Live (``include_last_second=False``) only whole seconds before it count, as the other sink may
    still be writing that second; offline the whole last second of the earlier sink counts.
    """
    lasts = [s.last_ts for s in sinks if s.last_ts is not None]
    if not lasts:
        return None
    return math.floor(min(lasts)) + (1 if include_last_second else 0)
