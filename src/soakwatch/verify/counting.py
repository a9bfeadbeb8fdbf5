"""Exact event counts of counters from their raw samples: resets, a base before the window, late series.

The counting rule (docs/criteria.md, "Counting events"): fetch every raw sample of the window plus
``querier.LOOKBACK`` before it; the base is the last sample at or before the window start; each later sample adds
its rise over the previous one, and a drop is a reset from 0 (the new value is the increase). A series with
no sample in the lookback was born inside the window: its first value counts when its producer (the
exporter target of the same ``job`` and ``instance``) was scraped before the series appeared or started
inside the window, and also when the producer's start is unknown; it does not count only when the
producer started before the window and was first scraped together with the series.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from soakwatch.verify.querier import Labels, Points, Querier

PRODUCER_SEEN = "soak_exporter_info"
PRODUCER_START = "process_start_time_seconds"


@dataclass(frozen=True)
class Counted:
    """One counter series: its increase at each of its samples inside the window, and whether it was born there."""

    labels: Labels
    increments: list[tuple[float, float]]
    born: bool
    spacing: float

    @property
    def total(self) -> float:
        return sum(inc for _, inc in self.increments)


def increments(points: Points, start: float, counts_first: bool) -> list[tuple[float, float]]:
    """``[(t, increase since the previous sample)]`` for the samples after ``start``.

    The base is the last sample at or before ``start``; a drop is a reset from 0. Without a base, the first
    sample adds its whole value when ``counts_first``, else nothing.
    """
    previous: float | None = None
    out = []
    for t, value in points:
        if not math.isfinite(value):
            continue
        if t <= start:
            previous = value
            continue
        if previous is None:
            out.append((t, value if counts_first else 0.0))
        else:
            out.append((t, value - previous if value >= previous else value))
        previous = value
    return out


def born_inside(points: Points, start: float) -> bool:
    """No sample at or before ``start`` (within the fetched lookback)."""
    return not any(t <= start for t, _ in points)


def spacing(points: Points) -> float:
    """Median distance between consecutive samples (the scrape interval); NaN with fewer than two samples."""
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(points) if b[0] > a[0]]
    return float(statistics.median(gaps)) if gaps else math.nan


def scrape_interval(series: Iterable[Counted]) -> float:
    """The scrape interval of a set of counted series (the median of their sample spacings)."""
    known = [s.spacing for s in series if math.isfinite(s.spacing)]
    return float(statistics.median(known)) if known else math.nan


def raw(selector: str) -> str:
    """The PromQL that returns every raw sample of ``selector`` over the window and its lookback."""
    return f"{selector}[$range]"


def _matcher(labels: Labels) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    return "{" + ",".join(f"{k}={quoted(labels.get(k, ''))}" for k in ("job", "instance")) + "}"


class Counter:
    """Counts events of counter series over one Querier's window by the counting rule."""

    def __init__(self, q: Querier) -> None:
        self.q = q
        self.notes: list[str] = []
        self._producers: dict[str, tuple[float | None, Points]] = {}

    def series(self, selector: str) -> list[Counted]:
        start = self.q.window.start
        out = []
        for labels, points in self.q.samples(raw(selector)):
            born = born_inside(points, start)
            first = points[0][0] if points else start
            counts = born and self._counts_first(labels, first, selector)
            out.append(Counted(labels, increments(points, start, counts), born, spacing(points)))
        return out

    def totals(self, selector: str, by: tuple[str, ...] = (), combine: str = "sum") -> dict[tuple[str, ...], float]:
        """Events per value of the ``by`` labels; series of one key are summed (or their ``max`` taken)."""
        result: dict[tuple[str, ...], float] = {}
        for s in self.series(selector):
            key = tuple(s.labels.get(label, "") for label in by)
            previous = result.get(key)
            if previous is None:
                result[key] = s.total
            else:
                result[key] = max(previous, s.total) if combine == "max" else previous + s.total
        return result

    def total(self, selector: str) -> float | None:
        """Every event of ``selector`` in the window; None when it has no series at all."""
        found = self.totals(selector)
        return found.get((), None)

    def _counts_first(self, labels: Labels, first: float, selector: str) -> bool:
        seen, starts = self._producer(labels)
        if seen is not None and seen < first:
            return True  # the exporter was up before the label set appeared: it started from 0
        started = [v for t, v in starts if t <= first] or [v for _, v in starts[:1]]
        if not started or started[-1] >= self.q.window.start:
            return True  # started inside the window, or unknown: count (never pass on a guess)
        self.notes.append(f"{selector}: first value of a series born in the window not counted (its exporter "
                          "started before the window and was not scraped before)")
        return False

    def _producer(self, labels: Labels) -> tuple[float | None, Points]:
        key = _matcher(labels)
        if key not in self._producers:
            seen = [t for _, points in self.q.samples(raw(PRODUCER_SEEN + key)) for t, _ in points[:1]]
            starts = sorted(p for _, points in self.q.samples(raw(PRODUCER_START + key)) for p in points)
            self._producers[key] = (min(seen) if seen else None, starts)
        return self._producers[key]


def cumulative(series: Iterable[Counted], start: float) -> Points:
    """Events counted since ``start``, summed over ``series``, at each of their sample times (a plot)."""
    events = sorted(p for s in series for p in s.increments)
    points, total = [(start, 0.0)], 0.0
    for t, inc in events:
        total += inc
        points.append((t, total))
    return points


def ratio(part: Points, whole: Points, default: float = math.nan) -> Points:
    """``part / whole`` of two cumulative plots at the times of ``whole`` (``default`` where whole is 0)."""
    out, index, value = [], 0, 0.0
    for t, denominator in whole:
        while index < len(part) and part[index][0] <= t:
            value = part[index][1]
            index += 1
        out.append((t, value / denominator if denominator else default))
    return out
