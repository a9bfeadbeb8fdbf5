"""The comparison as JSON (``--format json`` and ``comparison.json``): verdict, score, rule and every judgement."""

from __future__ import annotations

import json
import math
from datetime import tzinfo
from typing import Any

from soakwatch.verify.compare.comparison import Comparison
from soakwatch.verify.compare.judge import Judgement, effect_size
from soakwatch.verify.compare.series import Side
from soakwatch.verify.window import Window


def document(c: Comparison, tz: tzinfo) -> dict[str, Any]:
    s = c.settings
    return {
        "verdict": c.verdict, "score": round(c.score, 2), "exit_code": c.exit_code,
        "rule": {"default_tolerance": s.tolerance, "alpha": s.alpha, "min_samples": s.min_samples,
                 "min_coverage": s.min_coverage, "baseline_spread": s.baseline_spread,
                 "test": "one-sided Mann-Whitney U", "effect": "Cliff's delta", "step_seconds": c.step},
        "baselines": [_side(side, tz) for side in c.baselines], "candidate": _side(c.candidate, tz),
        "metrics": [_judgement(j) for j in c.judgements],
    }


def render(c: Comparison, tz: tzinfo, color: bool = False) -> str:
    return json.dumps(document(c, tz), indent=2) + "\n"


def _side(side: Side, tz: tzinfo) -> dict[str, Any]:
    w = Window(side.start, side.end)
    return {"source": side.label, "start": w.iso(w.start, tz), "end": w.iso(w.end, tz), "step_seconds": side.step}


def _judgement(j: Judgement) -> dict[str, Any]:
    m = j.metric
    return {
        "metric": m.name, "process": j.key or None, "result": j.status, "better": m.better, "unit": m.unit,
        "stat": m.stat, "baseline": _num(j.baseline), "candidate": _num(j.candidate), "change": _num(j.change),
        "worse": _num(j.worse), "from_zero": j.change is not None and math.isinf(j.change),
        "p_value": j.p_value, "effect": _num(j.effect), "effect_size": effect_size(j.effect) if j.effect is not None
        else None, "tolerance": j.tolerance, "min_change": m.min_change,
        "spread": _num(j.spread), "n_baseline": j.n_baseline,
        "n_candidate": j.n_candidate, "query": m.query, "note": j.note or None,
    }


def _num(value: float | None) -> float | None:
    """JSON has no infinity: a change from zero is null here, with ``from_zero`` set."""
    return value if value is not None and math.isfinite(value) else None
