"""Latency aggregation: exact windows, the fine run histogram and the exposed Prometheus buckets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from soakwatch.exporters.probe.latency import (
    EXPOSED_INDICES,
    FINE_BOUNDS,
    LatencyBuffer,
    RunHistogram,
    exact_stats,
)


def _latencies(seed: int, low: float, high: float, n: int = 50_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.exp(rng.uniform(math.log(low), math.log(high), n)) * 1e9).astype(np.int64)


def test_exact_stats_match_numpy():
    values = _latencies(1, 1e-4, 1e-1)
    stats = exact_stats(values)
    seconds = values / 1e9
    assert stats.count == values.size
    assert stats.p99 == pytest.approx(np.quantile(seconds, 0.99), rel=1e-12)
    assert stats.min == seconds.min() and stats.max == seconds.max()
    assert exact_stats(np.array([], dtype=np.int64)).p50 is None


@pytest.mark.parametrize(("low", "high"), [(1e-4, 1e-3), (1e-3, 5e-2), (0.1, 10.0)])
def test_run_histogram_quantiles_within_one_percent(low, high):
    values = _latencies(2, low, high)
    histogram = RunHistogram()
    for chunk in np.array_split(values, 7):
        histogram.add(chunk)
    exact = exact_stats(values)
    stats = histogram.stats()
    for key in ("p50", "p90", "p99"):
        assert getattr(stats, key) == pytest.approx(getattr(exact, key), rel=0.01), key
    assert stats.mean == pytest.approx(exact.mean, rel=1e-9)
    assert (stats.min, stats.max, stats.count) == (exact.min, exact.max, exact.count)


def test_exposed_buckets_are_exact_cumulative_counts_spaced_at_most_5_percent():
    values = _latencies(3, 1e-5, 50.0)
    histogram = RunHistogram()
    histogram.add(values)
    buckets = histogram.exposed_buckets()
    seconds = values / 1e9
    for le, count in buckets[:-1]:
        assert count == int((seconds <= le).sum())
    assert buckets[-1] == (math.inf, values.size)
    bounds = [le for le, _ in buckets[:-1]]
    assert bounds[0] == pytest.approx(1e-4) and bounds[-1] >= 10.0
    assert max(b / a for a, b in itertools.pairwise(bounds)) <= 1.0501
    assert len(EXPOSED_INDICES) < 250 and FINE_BOUNDS[0] <= 1e-6


def test_buffer_folds_each_latency_once_and_keeps_the_window():
    buffer = LatencyBuffer()
    buffer.values.extend([1, 2, 3])
    assert buffer.unfolded().tolist() == [1, 2, 3]
    buffer.values.append(4)
    assert buffer.unfolded().tolist() == [4]
    assert buffer.take_window().tolist() == [1, 2, 3, 4]
    assert buffer.unfolded().size == 0
