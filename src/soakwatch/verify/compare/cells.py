"""Human-readable cells of a comparison shared by its output formats: values, changes, p-values, verdict line."""

from __future__ import annotations

import math

from soakwatch.verify.compare.comparison import Comparison
from soakwatch.verify.compare.judge import INSUFFICIENT, REGRESSION, Judgement, effect_size
from soakwatch.verify.formats.values import fmt

PLAIN = ("cores", "signals/s")
HEADER = ("METRIC", "PROCESS", "RESULT", "BASELINE", "CANDIDATE", "CHANGE", "P", "EFFECT", "TOLERANCE")


def value(v: float | None, unit: str) -> str:
    """A statistic in its unit: ``fmt`` of verify-soak, three significant digits for the units it does not know."""
    if unit in PLAIN and v is not None and math.isfinite(v):
        return f"{v:.3g} {unit}"
    return fmt(v, unit)


def change(j: Judgement) -> str:
    """``+212.5% (worse)``, ``-5.1% (better)``, ``from zero (worse)`` or ``-``."""
    relative = j.change
    if relative is None or j.worse is None:
        return "-"
    amount = "from zero" if math.isinf(relative) else f"{relative:+.1%}"
    side = "worse" if j.worse > 0 else "better" if j.worse < 0 else "same"
    return f"{amount} ({side})"


def p_value(j: Judgement) -> str:
    return "-" if j.p_value is None else f"{j.p_value:.2g}"


def effect(j: Judgement) -> str:
    return "-" if j.effect is None else f"{j.effect:+.2f} {effect_size(j.effect)}"


def tolerance(j: Judgement) -> str:
    floor = f", > {value(j.metric.min_change, j.metric.unit)}" if j.metric.min_change else ""
    spread = f", > spread {value(j.spread, j.metric.unit)}" if j.spread else ""
    return f"{j.tolerance:.0%}{floor}{spread} {j.metric.better} is better"


def row(j: Judgement) -> tuple[str, ...]:
    stat = j.metric.stat
    return (j.metric.name, j.key or "-", j.status.upper(),
            f"{stat} {value(j.baseline, j.metric.unit)} (n={j.n_baseline})",
            f"{stat} {value(j.candidate, j.metric.unit)} (n={j.n_candidate})",
            change(j), p_value(j), effect(j), tolerance(j))


def verdict_line(c: Comparison) -> str:
    """``verdict: REGRESSION (score 87.5; regressed: ...; insufficient data: ...; the rule)``."""
    parts = [f"score {c.score:.1f} of 100"]
    for status, word in ((REGRESSION, "regressed"), (INSUFFICIENT, "insufficient data")):
        labels = [j.label for j in c.judgements if j.status == status]
        if labels:
            parts.append(f"{word}: {', '.join(labels)}")
    s = c.settings
    spread = " and the baselines' own spread" if len(c.baselines) > 1 and s.baseline_spread else ""
    parts.append(f"a regression: worse by more than the tolerance, the floor{spread}, and one-sided Mann-Whitney "
                 f"p < {s.alpha:g}; "
                 f"{len(c.baselines)} baseline(s) pooled, one sample per {c.step:g} s")
    return f"verdict: {c.verdict.upper()} ({'; '.join(parts)})"
