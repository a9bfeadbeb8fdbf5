"""A comparison of one candidate with one or more baselines: every metric and key judged, verdict and score."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from soakwatch.verify.compare.config import CompareSettings
from soakwatch.verify.compare.judge import INSUFFICIENT, REGRESSION, Judgement, judge
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


def compare(baselines: list[Side], candidate: Side, settings: CompareSettings) -> Comparison:
    """Judge every metric of ``settings`` per key; the baselines' samples are pooled."""
    judgements = [j for metric in settings.metrics for j in _metric(metric, baselines, candidate, settings)]
    return Comparison(baselines, candidate, settings, judgements)


def _metric(metric: Metric, baselines: list[Side], candidate: Side, settings: CompareSettings) -> list[Judgement]:
    keys = sorted({key for side in (*baselines, candidate) for key in side.samples.get(metric.name, {})})
    out = []
    for key in keys or [WHOLE]:
        base = [v for side in baselines for v in side.values(metric.name, key)]
        judgement = judge(metric, key, base, candidate.values(metric.name, key), settings)
        if judgement.status == INSUFFICIENT:
            judgement = _why(judgement, metric, key, baselines, candidate)
        out.append(judgement)
    return out


def _why(judgement: Judgement, metric: Metric, key: str, baselines: list[Side], candidate: Side) -> Judgement:
    """Name the side that has no series at all for this metric or process, where that is the reason."""
    what = f"process {key}" if key else metric.name
    named = [*((f"baseline {i + 1}", s) for i, s in enumerate(baselines)), ("candidate", candidate)]
    absent = [name for name, s in named if key not in s.samples.get(metric.name, {})]
    if not absent:
        return judgement
    note = f"no {what} series in {', '.join(absent)}; {judgement.note}"
    return dataclasses.replace(judgement, note=note)
