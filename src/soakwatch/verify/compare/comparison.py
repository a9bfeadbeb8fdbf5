"""A comparison of one candidate with one or more baselines: every metric and key judged, verdict and score."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from soakwatch.verify.compare.config import CompareSettings
from soakwatch.verify.compare.judge import INSUFFICIENT, REGRESSION, Judgement, judge, spread_of
from soakwatch.verify.compare.metrics import Metric
from soakwatch.verify.compare.series import WHOLE, Side

NO_REGRESSION_VERDICT = "no regression"
EXIT_CODES = {NO_REGRESSION_VERDICT: 0, REGRESSION: 1, INSUFFICIENT: 2}


@dataclass
class Comparison:
    """The sides, the settings and one judgement per metric and key."""

    baselines: list[Side]
    candidate: Side
    settings: CompareSettings
    judgements: list[Judgement]

    @property
    def verdict(self) -> str:
        """``regression`` if any judgement is one, else ``insufficient data`` if any is, else ``no regression``."""
        statuses = {j.status for j in self.judgements}
        return next((s for s in (REGRESSION, INSUFFICIENT) if s in statuses), NO_REGRESSION_VERDICT)

    @property
    def score(self) -> float:
        """Share of judgements (0..100) that are neither a regression nor insufficient data."""
        good = [j for j in self.judgements if j.status not in (REGRESSION, INSUFFICIENT)]
        return 100.0 * len(good) / len(self.judgements) if self.judgements else 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def step(self) -> float:
        return self.candidate.step


def sides(baselines: list[Side], candidate: Side) -> list[tuple[str, Side]]:
    """Each side with its name in the reports: ``baseline 1`` ... and ``candidate``."""
    return [*((f"baseline {i + 1}", side) for i, side in enumerate(baselines)), ("candidate", candidate)]


def compare(baselines: list[Side], candidate: Side, settings: CompareSettings) -> Comparison:
    """Judge every metric of ``settings`` per key; the baselines' samples are pooled."""
    judgements = [j for metric in settings.metrics for j in _metric(metric, baselines, candidate, settings)]
    return Comparison(baselines, candidate, settings, judgements)


def _metric(metric: Metric, baselines: list[Side], candidate: Side, settings: CompareSettings) -> list[Judgement]:
    keys = sorted({key for side in (*baselines, candidate) for key in side.samples.get(metric.name, {})})
    out = []
    for key in keys or [WHOLE]:
        runs = [side.values(metric.name, key) for side in baselines]
        spread = spread_of(metric, runs, settings.min_samples)
        judgement = judge(metric, key, [v for run in runs for v in run], candidate.values(metric.name, key),
                          settings, spread)
        if judgement.status == INSUFFICIENT:
            judgement = _why(judgement, metric, key, baselines, candidate)
        else:
            judgement = _covered(judgement, key, baselines, candidate, settings.min_coverage)
        out.append(judgement)
    return out


def _covered(judgement: Judgement, key: str, baselines: list[Side], candidate: Side, floor: float) -> Judgement:
    """Insufficient data when a side has values in fewer than ``floor`` of its steps: a probe that was down half
    the run has no samples there, and the other half must not pass for the whole run."""
    named = sides(baselines, candidate)
    short = []
    for name, side in named:
        have, steps = len(side.values(judgement.metric.name, key)), side.steps
        if have < floor * steps:
            short.append(f"{name} has values in {have} of {steps} steps")
    if not short:
        return judgement
    note = f"{'; '.join(short)} (need {floor:.0%} of each window)"
    return dataclasses.replace(judgement, status=INSUFFICIENT, p_value=None, note=note)


def _why(judgement: Judgement, metric: Metric, key: str, baselines: list[Side], candidate: Side) -> Judgement:
    """Name the side that has no series at all for this metric or process, where that is the reason."""
    what = f"process {key}" if key else metric.name
    named = sides(baselines, candidate)
    absent = [name for name, s in named if key not in s.samples.get(metric.name, {})]
    if not absent:
        return judgement
    note = f"no {what} series in {', '.join(absent)}; {judgement.note}"
    return dataclasses.replace(judgement, note=note)
