"""The judgement of verify-soak compare: tolerance AND significance, direction, floors, insufficient data."""

from __future__ import annotations

import math
import random

import pytest

from soakwatch.verify.compare.config import CompareSettings
from soakwatch.verify.compare.judge import (
    IMPROVED,
    INSUFFICIENT,
    NO_REGRESSION,
    NOT_SIGNIFICANT,
    REGRESSION,
    WITHIN,
    effect_size,
    judge,
    spread_of,
)
from soakwatch.verify.compare.metrics import DEFAULTS, MIB

METRICS = {m.name: m for m in DEFAULTS}
SETTINGS = CompareSettings()


def noisy(center: float, spread: float, n: int = 60, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [center + rng.gauss(0, spread) for _ in range(n)]


def test_the_same_distribution_is_no_regression():
    j = judge(METRICS["tick_latency_p99"], "", noisy(0.004, 0.0004, seed=1), noisy(0.004, 0.0004, seed=2), SETTINGS)
    assert j.status == NO_REGRESSION and j.p_value > 0.01 and abs(j.effect) < 0.3


def test_a_clear_latency_rise_is_a_regression_with_change_p_value_and_effect():
    j = judge(METRICS["tick_latency_p99"], "", noisy(0.0008, 0.0001), noisy(0.0025, 0.0002, seed=2), SETTINGS)
    assert j.status == REGRESSION
    assert j.change == pytest.approx(2.1, rel=0.1) and j.worse == j.change
    assert j.p_value < 1e-10 and j.effect == 1.0 and effect_size(j.effect) == "large"


def test_worse_beyond_tolerance_but_within_noise_is_not_significant():
    base = [0.002, 0.008, 0.004, 0.012, 0.006, 0.002, 0.010, 0.004, 0.008, 0.006]
    cand = [0.004, 0.010, 0.006, 0.012, 0.008, 0.002, 0.010, 0.006, 0.008, 0.008]
    j = judge(METRICS["tick_latency_p99"], "", base, cand, SETTINGS)
    assert j.worse > 0.10 and j.p_value >= 0.01
    assert j.status == NOT_SIGNIFICANT


def test_significantly_worse_within_tolerance_is_within_tolerance():
    j = judge(METRICS["rss"], "broker", noisy(100 * MIB, 0.5 * MIB), noisy(105 * MIB, 0.5 * MIB, seed=2), SETTINGS)
    assert j.status == WITHIN and 0 < j.worse < 0.10 and j.p_value < 0.01


def test_higher_is_better_for_tick_rate():
    drop = judge(METRICS["tick_rate"], "", noisy(6000, 50), noisy(5000, 50, seed=2), SETTINGS)
    rise = judge(METRICS["tick_rate"], "", noisy(6000, 50), noisy(7000, 50, seed=2), SETTINGS)
    assert (drop.status, rise.status) == (REGRESSION, IMPROVED)
    assert drop.change < 0 < drop.worse and drop.effect == -1.0
    assert rise.worse < 0 and rise.p_value < 0.01


def test_a_change_below_the_metric_floor_never_counts():
    # +200% of a 1 MB/h slope is 2 MB/h: under rss_growth's 10 MB/h floor
    j = judge(METRICS["rss_growth"], "signal", noisy(1 * MIB, 0.2 * MIB), noisy(3 * MIB, 0.2 * MIB, seed=2), SETTINGS)
    assert j.worse > 1.0 and j.status == WITHIN


def test_from_zero_restarts_regress_when_significant():
    j = judge(METRICS["restarts"], "", [0.0] * 30, [1.0] * 15 + [0.0] * 15, SETTINGS)
    assert j.status == REGRESSION and math.isinf(j.worse) and math.isinf(j.change)


@pytest.mark.parametrize(("n_base", "n_cand"), [(9, 60), (60, 9), (3, 3), (0, 0)])
def test_too_few_samples_are_insufficient_data(n_base, n_cand):
    j = judge(METRICS["tick_latency_p99"], "", [0.001] * n_base, [0.5] * n_cand, SETTINGS)
    assert j.status == INSUFFICIENT and j.p_value is None and "need >= 10" in j.note


def test_identical_constant_samples_are_no_regression():
    j = judge(METRICS["open_fds"], "report", [40.0] * 20, [40.0] * 20, SETTINGS)
    assert (j.status, j.p_value, j.effect, j.change) == (NO_REGRESSION, 1.0, 0.0, 0.0)


def test_the_baselines_spread_is_the_largest_change_of_one_baseline_against_the_others_pooled():
    runs = [[0.004] * 10, [0.006] * 10, [0.005] * 10]
    # 0.004 against the median of the other two (0.0055): 0.0015; 0.006 against 0.0045: 0.0015; 0.005 against 0.005
    assert spread_of(METRICS["tick_latency_p99"], runs, 10) == pytest.approx(0.0015)
    assert spread_of(METRICS["tick_latency_p99"], runs[:1], 10) is None
    assert spread_of(METRICS["tick_latency_p99"], [runs[0], [0.006] * 9], 10) is None  # one run too short


def test_a_change_within_the_baselines_spread_is_no_regression_and_beyond_it_is_one():
    base, cand = noisy(0.004, 0.0002), noisy(0.006, 0.0002, seed=2)  # +2 ms, +50%, p tiny
    within = judge(METRICS["tick_latency_p99"], "", base, cand, SETTINGS, spread=0.003)
    beyond = judge(METRICS["tick_latency_p99"], "", base, cand, SETTINGS, spread=0.0015)
    ignored = judge(METRICS["tick_latency_p99"], "", base, cand, CompareSettings(baseline_spread=0), spread=0.003)
    assert within.status == WITHIN and within.p_value < 0.01 and "own spread" in within.note
    assert within.spread == 0.003
    assert beyond.status == REGRESSION and ignored.status == REGRESSION
