"""Latency percentiles of one repeat and min/median/p95 across repeats."""

import pytest

from soakwatch.bench.stats import latency_figures, per_second, summarize, summarize_runs


def test_latency_figures_of_known_samples():
    samples = [ms * 1_000_000 for ms in range(1, 101)]  # 1..100 ms
    figures = latency_figures(samples)
    assert figures["latency_p50_ms"] == pytest.approx(50.5)
    assert figures["latency_p99_ms"] == pytest.approx(99.01)
    assert figures["latency_max_ms"] == 100.0
    assert figures["latency_mean_ms"] == pytest.approx(50.5)
    assert figures["latency_stddev_ms"] == pytest.approx(28.866, abs=1e-3)
    assert list(figures) == [f"latency_{k}_ms" for k in ("p50", "p95", "p99", "p99_9", "max", "mean", "stddev")]


def test_latency_figures_without_samples_are_null_and_prefixed():
    figures = latency_figures([], prefix="async_")
    assert figures and all(name.startswith("async_latency_") for name in figures)
    assert set(figures.values()) == {None}


def test_summarize_min_median_p95():
    assert summarize([10.0, 30.0, 20.0]) == {"min": 10.0, "median": 20.0, "p95": 29.0}
    assert summarize([5.0]) == {"min": 5.0, "median": 5.0, "p95": 5.0}


def test_summarize_skips_unmeasured_repeats_and_is_null_when_none_measured():
    assert summarize([None, 4.0, None, 6.0]) == {"min": 4.0, "median": 5.0, "p95": 5.9}
    assert summarize([None, None]) is None


def test_summarize_runs_keeps_figure_order():
    runs = [{"b": 1.0, "a": None}, {"b": 3.0, "a": None}]
    assert summarize_runs(runs) == {"b": {"min": 1.0, "median": 2.0, "p95": 2.9}, "a": None}


def test_per_second():
    assert per_second(500, 250_000_000) == 2000.0
    assert per_second(0, 1_000) is None
    assert per_second(10, 0) is None
