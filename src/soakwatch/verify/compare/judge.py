"""The judgement per metric and key: worse by more than the tolerance AND significant by a Mann-Whitney U test."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from soakwatch.verify.compare.config import CompareSettings
from soakwatch.verify.compare.mannwhitney import mann_whitney
from soakwatch.verify.compare.metrics import LOWER, MEAN, Metric

REGRESSION = "regression"
WITHIN = "within tolerance"  # significantly worse, by less than the tolerance
NOT_SIGNIFICANT = "no regression (not significant)"  # worse by more than the tolerance, but noise could explain it
IMPROVED = "improved"
NO_REGRESSION = "no regression"
INSUFFICIENT = "insufficient data"
STATUSES = (REGRESSION, INSUFFICIENT, NOT_SIGNIFICANT, WITHIN, IMPROVED, NO_REGRESSION)


@dataclass(frozen=True)
class Judgement:
    """One metric for one key: the samples' statistic on each side, the changes, the test and the outcome.

    ``change`` is signed (candidate against baseline); ``worse`` is the change in the bad direction (negative:
    better; ``inf`` from a baseline of zero). ``p_value`` is the one-sided test in the direction that decided
    (worse, or better for ``improved``); ``effect`` is Cliff's delta of candidate against baseline (-1..1).
    ``spread`` is the absolute change the baselines showed among themselves (``None`` with one baseline).
    """

    metric: Metric
    key: str
    status: str
    n_baseline: int
    n_candidate: int
    tolerance: float
    baseline: float | None = None
    candidate: float | None = None
    worse: float | None = None
    p_value: float | None = None
    effect: float | None = None
    note: str = ""
    spread: float | None = None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        if self.baseline == 0:
            return 0.0 if self.candidate == 0 else math.copysign(math.inf, self.candidate)
        return (self.candidate - self.baseline) / abs(self.baseline)

    @property
    def label(self) -> str:
        return f"{self.metric.name}{{process={self.key}}}" if self.key else self.metric.name


def judge(metric: Metric, key: str, baseline: list[float], candidate: list[float],
          settings: CompareSettings, spread: float | None = None) -> Judgement:
    """Apply the rule of docs/compare.md to the per-step samples of both sides; ``spread`` is the baselines' own
    spread (:func:`spread_of`): a change must exceed ``baseline_spread`` times it, as it must exceed the floor."""
    tolerance = settings.tolerance_of(metric)
    short = [f"{side} {len(v)}" for side, v in (("baseline", baseline), ("candidate", candidate))
             if len(v) < settings.min_samples]
    if short:
        return Judgement(metric, key, INSUFFICIENT, len(baseline), len(candidate), tolerance,
                         note=f"samples: {', '.join(short)} (need >= {settings.min_samples} on each side)")
    base, cand = statistic(metric, baseline), statistic(metric, candidate)
    bad = cand - base if metric.better == LOWER else base - cand
    worse = bad / abs(base) if base != 0 else (0.0 if bad <= 0 else math.inf)
    p_worse, u = _test(candidate, baseline, "greater" if metric.better == LOWER else "less")
    p_better, _ = _test(candidate, baseline, "less" if metric.better == LOWER else "greater")
    floor = max(metric.min_change, settings.baseline_spread * (spread or 0.0))
    beyond = worse > tolerance and bad > floor
    gained = -worse > tolerance and -bad > floor
    status, p = _status(beyond, gained, p_worse, p_better, settings.alpha)
    effect = 2 * u / (len(candidate) * len(baseline)) - 1
    note = ""
    if status == WITHIN and worse > tolerance and metric.min_change < bad <= floor:
        note = f"worse by no more than the baselines' own spread ({settings.baseline_spread:g} x {spread:.4g})"
    return Judgement(metric, key, status, len(baseline), len(candidate), tolerance, base, cand, worse, p, effect,
                     note, spread)


def spread_of(metric: Metric, runs: list[list[float]], min_samples: int) -> float | None:
    """How far one baseline run's statistic lies from that of the other baselines pooled, at most (leave one
    out): the change a run of the good build showed against the rest, measured as the candidate is measured.
    ``None`` with fewer than two baselines of ``min_samples`` samples each."""
    runs = [r for r in runs if len(r) >= min_samples]
    if len(runs) < 2:
        return None
    return max(abs(statistic(metric, run) - statistic(metric, [v for other in runs[:i] + runs[i + 1:]
                                                               for v in other]))
               for i, run in enumerate(runs))


def _status(beyond: bool, gained: bool, p_worse: float, p_better: float, alpha: float) -> tuple[str, float]:
    if beyond:
        return (REGRESSION if p_worse < alpha else NOT_SIGNIFICANT), p_worse
    if p_worse < alpha:
        return WITHIN, p_worse
    if gained and p_better < alpha:
        return IMPROVED, p_better
    return NO_REGRESSION, p_worse


def statistic(metric: Metric, values: list[float]) -> float:
    return statistics.fmean(values) if metric.stat == MEAN else statistics.median(values)


def _test(x: list[float], y: list[float], alternative: str) -> tuple[float, float]:
    """One-sided Mann-Whitney U of ``x`` against ``y``: ``(p, U of x)``; identical samples give p = 1."""
    if len(set(x) | set(y)) == 1:
        return 1.0, len(x) * len(y) / 2
    return mann_whitney(x, y, alternative)


def effect_size(delta: float) -> str:
    """Cliff's delta in words (Romano et al. 2006 thresholds)."""
    size = abs(delta)
    return "negligible" if size < 0.147 else "small" if size < 0.33 else "medium" if size < 0.474 else "large"
