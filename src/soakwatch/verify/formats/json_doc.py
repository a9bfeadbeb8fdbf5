"""The verdict as a JSON document (``--format json`` and ``verdict.json``)."""

from __future__ import annotations

import json
import math
from datetime import tzinfo
from typing import Any

from soakwatch import __version__
from soakwatch.verify.engine import CriterionResult, Verdict
from soakwatch.verify.formats import values


def document(verdict: Verdict, tz: tzinfo) -> dict[str, Any]:
    w = verdict.window
    return {
        "verdict": "pass" if verdict.passed else "fail",
        "exit_code": verdict.exit_code,
        "run_id": verdict.run_id,
        "strict": verdict.strict,
        "window": {"start": w.iso(w.start, tz), "end": w.iso(w.end, tz), "seconds": w.seconds,
                   "start_unix": w.start, "end_unix": w.end},
        "prometheus_url": verdict.url,
        "scope": verdict.target.describe() if verdict.target else None,
        "tool": {"name": "verify-soak", "version": __version__},
        "summary": {status: sum(1 for r in verdict.results if r.status == status)
                    for status in ("pass", "fail", "warn", "no data")},
        "criteria": [criterion(r) for r in verdict.results],
    }


def criterion(result: CriterionResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "description": result.description,
        "source": result.data_source,
        "origin": result.source,
        "severity": result.severity,
        "result": result.status,
        "measured": values.measurements(result),
        "threshold": values.thresholds(result),
        "checks": [{"name": c.name, "query": c.query, "op": c.op, "threshold": c.threshold, "unit": c.unit,
                    "value": _clean(c.worst()), "values": {k or "all": _clean(v) for k, v in c.values.items()},
                    "failed": c.failed} for c in result.checks],
        "processes": ({k: s for k, s in result.keys.items()} if result.per_process else None),
        "failed_processes": result.failed_keys if result.per_process else [],
        "coverage": {k or "all": round(v, 4) for k, v in result.coverage.items()},
        "notes": result.notes,
    }


def _clean(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else value


def render(verdict: Verdict, tz: tzinfo, color: bool = False) -> str:
    return json.dumps(document(verdict, tz), indent=2, sort_keys=False) + "\n"
