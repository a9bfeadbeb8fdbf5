"""The one-sided Mann-Whitney U test, as scipy.stats.mannwhitneyu computes it, without importing scipy.stats for
the large-sample case (that import alone takes seconds): normal approximation with tie and continuity correction;
small samples without ties take scipy's exact distribution."""

from __future__ import annotations

import math

EXACT_UP_TO = 8  # scipy's method="auto": exact when a sample has at most this many values and nothing is tied


def mann_whitney(x: list[float], y: list[float], alternative: str) -> tuple[float, float]:
    """``(p, U of x)`` of the one-sided test that ``x`` tends to be ``greater`` (or ``less``) than ``y``."""
    n1, n2 = len(x), len(y)
    ranks, ties = _ranks([*x, *y])
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = u1 if alternative == "greater" else n1 * n2 - u1
    if min(n1, n2) <= EXACT_UP_TO and max(ties) == 1:
        from scipy.stats import mannwhitneyu  # small samples only: the exact distribution

        return float(mannwhitneyu(x, y, alternative=alternative, method="exact").pvalue), u1
    n = n1 + n2
    tie_term = float(sum(t**3 - t for t in ties))
    sd = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    if sd == 0:
        return 1.0, u1
    z = (u - n1 * n2 / 2 - 0.5) / sd
    return 0.5 * math.erfc(z / math.sqrt(2)), u1


def _ranks(values: list[float]) -> tuple[list[float], list[int]]:
    """Ranks from 1 (ties get their average rank) and the size of each group of equal values (no numpy: its
    import would cost more than the test)."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks, ties = [0.0] * len(values), []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and values[order[end]] == values[order[start]]:
            end += 1
        for index in order[start:end]:
            ranks[index] = (start + end + 1) / 2
        ties.append(end - start)
        start = end
    return ranks, ties
