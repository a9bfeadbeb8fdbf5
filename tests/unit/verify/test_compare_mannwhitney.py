"""The Mann-Whitney U test of verify-soak compare gives scipy.stats.mannwhitneyu's p-value and U."""

from __future__ import annotations

import random

import pytest
from scipy.stats import mannwhitneyu

from soakwatch.verify.compare.mannwhitney import mann_whitney


def samples(seed: int, n: int, shift: float, ties: bool) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.gauss(shift, 1), 1 if ties else 9) for _ in range(n)]


@pytest.mark.parametrize("alternative", ["greater", "less"])
@pytest.mark.parametrize(("n1", "n2", "shift", "ties"), [
    (60, 180, 0.0, False), (60, 180, 0.4, True), (10, 10, 1.0, False), (12, 40, -0.5, True), (5, 30, 0.8, False),
    (3, 3, 2.0, False), (6, 20, 0.3, True), (30, 30, 0.0, True),
])
def test_the_same_p_value_and_u_as_scipy(n1, n2, shift, ties, alternative):
    x, y = samples(1, n1, shift, ties), samples(2, n2, 0.0, ties)
    expected = mannwhitneyu(x, y, alternative=alternative)
    p, u = mann_whitney(x, y, alternative)
    assert p == pytest.approx(float(expected.pvalue), rel=1e-9, abs=1e-15)
    assert u == float(expected.statistic)


def test_mostly_zero_counts_with_ties():
    x, y = [0.0] * 50 + [1.0] * 10, [0.0] * 180
    assert mann_whitney(x, y, "greater")[0] == pytest.approx(float(mannwhitneyu(x, y, alternative="greater").pvalue))
