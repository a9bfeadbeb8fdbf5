"""Per-step samples of the compared metrics over one window: collected from a store, kept as ``series.json``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from soakwatch.verify.compare.metrics import Metric
from soakwatch.verify.querier import Points, Querier

FORMAT = "soakwatch-series/1"
WHOLE = ""


@dataclass
class Side:
    """One run's samples: ``samples[metric][key]`` is ``[(t, value)]`` (key: process, or ``""``)."""

    label: str
    start: float
    end: float
    step: float
    samples: dict[str, dict[str, Points]] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Whole steps in the window: the samples a series present all the time has."""
        return math.floor((self.end - self.start) / self.step + 1e-9)

    def values(self, metric: str, key: str) -> list[float]:
        return [v for _, v in self.samples.get(metric, {}).get(key, []) if math.isfinite(v)]


def collect(q: Querier, metrics: tuple[Metric, ...], step: float, label: str) -> Side:
    """One range query per metric over ``q``'s window at ``step``; each point covers one step of the window."""
    side = Side(label, q.window.start, q.window.end, step)
    if q.window.start + step > q.window.end:  # not one whole step in the window: no sample at all
        side.samples = {metric.name: {} for metric in metrics}
        return side
    for metric in metrics:
        by_key: dict[str, Points] = {}
        for labels, points in q.range(metric.render(step), step=step):
            key = labels.get("process", WHOLE) if metric.per_process else WHOLE
            by_key.setdefault(key, []).extend(points)
        side.samples[metric.name] = {key: sorted(points) for key, points in sorted(by_key.items())}
    return side


def document(side: Side, metrics: tuple[Metric, ...]) -> dict[str, Any]:
    """``series.json``: the window, the step and, per metric, its query, direction, unit and samples per key."""
    return {
        "format": FORMAT, "window": {"start": side.start, "end": side.end}, "step_seconds": side.step,
        "metrics": {m.name: {"query": m.render(side.step), "better": m.better, "unit": m.unit,
                             "per_process": m.per_process,
                             "samples": {key: [[t, _json(v)] for t, v in points]
                                         for key, points in side.samples.get(m.name, {}).items()}}
                    for m in metrics},
    }


def from_document(doc: Any, label: str) -> Side:
    """A :class:`Side` from a parsed ``series.json``; ValueError naming what is wrong."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"is not a {FORMAT} document")
    try:
        window, step = doc["window"], float(doc["step_seconds"])
        side = Side(label, float(window["start"]), float(window["end"]), step)
        for name, entry in doc["metrics"].items():
            side.samples[name] = {str(key): [(float(t), _num(v)) for t, v in points]
                                  for key, points in entry["samples"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"has a missing or malformed field ({type(exc).__name__}: {exc})") from None
    return side


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)
