"""Latency aggregation: exact per-window statistics and a fine log-bucket histogram for the whole run.

The hot path only appends nanosecond latencies to an ``array('q')``; numpy does
the rest once per fold. The run histogram has ``FINE_PER_EXPOSED`` fine bins
per exposed Prometheus bucket, so the exposed cumulative counts are exact and
quantiles read from the fine bins are within ~1% of the exact value.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np

EXPOSED_RATIO = 1.05  # p99 read from the exposed buckets is within 5% of the exact p99
FINE_PER_EXPOSED = 5
FINE_RATIO = EXPOSED_RATIO ** (1 / FINE_PER_EXPOSED)
MIN_SECONDS, MAX_SECONDS = 1e-6, 100.0  # fine bins span 1 us .. 100 s; outside goes to the end bins
EXPOSED_MIN, EXPOSED_MAX = 1e-4, 10.0
QUANTILES = (0.5, 0.9, 0.99)


def _fine_bounds() -> tuple[np.ndarray, np.ndarray]:
    """Fine bin edges anchored at EXPOSED_MIN (6 significant digits), and the indices of the exposed ones."""
    below = math.ceil(math.log(EXPOSED_MIN / MIN_SECONDS, FINE_RATIO))
    above = math.ceil(math.log(MAX_SECONDS / EXPOSED_MIN, FINE_RATIO))
    steps = np.arange(-below, above + 1)
    bounds = np.array([float(f"{EXPOSED_MIN * FINE_RATIO ** int(k):.6g}") for k in steps])
    exposed_steps = np.arange(0, math.ceil(math.log(EXPOSED_MAX / EXPOSED_MIN, FINE_RATIO)) + 1, FINE_PER_EXPOSED)
    return bounds, exposed_steps + below


FINE_BOUNDS, EXPOSED_INDICES = _fine_bounds()  # upper bound (le) of each fine bin in seconds; exposed subset


@dataclass(frozen=True)
class LatencyStats:
    """Latency figures in seconds over a set of messages; all None when there were none."""

    count: int
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    mean: float | None = None
    min: float | None = None
    max: float | None = None

    def as_ms(self) -> dict[str, float | None]:
        """``{"p50", "p90", "p99", "mean", "min", "max"}`` in milliseconds (FORMATS.md ``latency_ms``)."""
        return {key: None if value is None else round(value * 1e3, 4) for key, value in self._figures().items()}

    def _figures(self) -> dict[str, float | None]:
        return {"p50": self.p50, "p90": self.p90, "p99": self.p99, "mean": self.mean, "min": self.min,
                "max": self.max}


def exact_stats(latencies_ns: np.ndarray) -> LatencyStats:
    """Exact quantiles (linear interpolation), mean, min and max of one window."""
    if latencies_ns.size == 0:
        return LatencyStats(0)
    seconds = latencies_ns.astype(np.float64) / 1e9
    p50, p90, p99 = np.quantile(seconds, QUANTILES)
    return LatencyStats(int(seconds.size), float(p50), float(p90), float(p99), float(seconds.mean()),
                        float(seconds.min()), float(seconds.max()))


class RunHistogram:
    """Fine log-bucket counts of every latency folded in, with exact sum, min and max."""

    def __init__(self) -> None:
        self.counts = np.zeros(FINE_BOUNDS.size + 1, dtype=np.int64)  # last bin: above MAX_SECONDS
        self.count = 0
        self.sum_seconds = 0.0
        self.min_seconds = math.inf
        self.max_seconds = -math.inf

    def add(self, latencies_ns: np.ndarray) -> None:
        if latencies_ns.size == 0:
            return
        seconds = latencies_ns.astype(np.float64) / 1e9
        bins = np.searchsorted(FINE_BOUNDS, seconds, side="left")
        self.counts += np.bincount(bins, minlength=self.counts.size)
        self.count += int(seconds.size)
        self.sum_seconds += float(seconds.sum())
        self.min_seconds = min(self.min_seconds, float(seconds.min()))
        self.max_seconds = max(self.max_seconds, float(seconds.max()))

    def exposed_buckets(self) -> list[tuple[float, int]]:
        """Cumulative ``(le, count)`` pairs for Prometheus, ``+Inf`` last."""
        cumulative = np.cumsum(self.counts)
        pairs = [(float(FINE_BOUNDS[i]), int(cumulative[i])) for i in EXPOSED_INDICES]
        return [*pairs, (math.inf, self.count)]

    def quantile(self, q: float) -> float | None:
        """The q-quantile, interpolated inside its fine bin and clamped to the observed min/max."""
        if self.count == 0:
            return None
        rank = q * (self.count - 1) + 1
        cumulative = np.cumsum(self.counts)
        index = int(np.searchsorted(cumulative, rank, side="left"))
        lower = FINE_BOUNDS[index - 1] if index > 0 else 0.0
        upper = FINE_BOUNDS[index] if index < FINE_BOUNDS.size else self.max_seconds
        before = cumulative[index - 1] if index > 0 else 0
        fraction = (rank - before) / max(self.counts[index], 1)
        estimate = lower + (upper - lower) * fraction
        return float(min(max(estimate, self.min_seconds), self.max_seconds))

    def stats(self) -> LatencyStats:
        if self.count == 0:
            return LatencyStats(0)
        p50, p90, p99 = (self.quantile(q) for q in QUANTILES)
        return LatencyStats(self.count, p50, p90, p99, self.sum_seconds / self.count, self.min_seconds,
                            self.max_seconds)


class LatencyBuffer:
    """The hot-path store: an ``array('q')`` of nanosecond latencies for the current window."""

    def __init__(self) -> None:
        self.values = array("q")
        self._folded = 0

    def unfolded(self) -> np.ndarray:
        """Latencies appended since the last call (a copy, safe to keep)."""
        end = len(self.values)
        chunk = np.frombuffer(self.values, dtype=np.int64)[self._folded:end].copy()
        self._folded = end
        return chunk

    def take_window(self) -> np.ndarray:
        """All latencies of the window (a copy); the buffer starts empty."""
        window = np.array(self.values, dtype=np.int64)
        self.values = array("q")
        self._folded = 0
        return window
