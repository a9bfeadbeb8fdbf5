"""The ``compare:`` section of the criteria file: tolerance, significance level, sample floor, metrics."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soakwatch.errors import ConfigError
from soakwatch.verify.compare.metrics import DEFAULTS, HIGHER, LOWER, MEAN, MEDIAN, Metric
from soakwatch.verify.config import _ID, DEFAULT_MIN_COVERAGE, _number, _require, _unknown, read_document

DEFAULT_TOLERANCE = 0.10
DEFAULT_ALPHA = 0.01
MIN_SAMPLES = 10  # per side, metric and process: fewer is "insufficient data"
BASELINE_SPREAD = 1.0  # a change must exceed this many times the baselines' own spread (0: not held against it)
_TOP = {"tolerance", "alpha", "min_samples", "min_coverage", "baseline_spread", "metrics"}
_OVERRIDE = {"enabled", "tolerance", "min_change", "stat"}
_CUSTOM = _OVERRIDE | {"query", "better", "unit", "per_process", "description"}


@dataclass(frozen=True)
class CompareSettings:
    """What a comparison judges: the metrics, and the rule's tolerance, significance level and sample floor."""

    metrics: tuple[Metric, ...] = DEFAULTS
    tolerance: float = DEFAULT_TOLERANCE
    alpha: float = DEFAULT_ALPHA
    min_samples: int = MIN_SAMPLES
    min_coverage: float = DEFAULT_MIN_COVERAGE  # share of a window's steps each side must have a value in
    baseline_spread: float = BASELINE_SPREAD

    def tolerance_of(self, metric: Metric) -> float:
        return self.tolerance if metric.tolerance is None else metric.tolerance


def load(path: Path | None) -> CompareSettings:
    """The ``compare:`` section of the criteria file at ``path`` (the defaults without a file or section)."""
    if path is None:
        return CompareSettings()
    document = read_document(path)
    _require(isinstance(document, dict), "(top level)", "must be a mapping")
    return parse(document.get("compare") or {})


def parse(section: Any) -> CompareSettings:
    _require(isinstance(section, dict), "compare", "must be a mapping")
    _unknown(section, _TOP, "compare")
    tolerance = _share(section.get("tolerance", DEFAULT_TOLERANCE), "compare.tolerance")
    alpha = _number(section.get("alpha", DEFAULT_ALPHA), "compare.alpha")
    _require(0 < alpha < 1, "compare.alpha", f"must be > 0 and < 1, got {alpha:g}")
    floor = section.get("min_samples", MIN_SAMPLES)
    _require(isinstance(floor, int) and not isinstance(floor, bool) and floor >= 3, "compare.min_samples",
             f"must be a whole number >= 3, got {floor!r}")
    coverage = _number(section.get("min_coverage", DEFAULT_MIN_COVERAGE), "compare.min_coverage")
    _require(0 < coverage <= 1, "compare.min_coverage", f"must be > 0 and <= 1, got {coverage:g}")
    spread = _number(section.get("baseline_spread", BASELINE_SPREAD), "compare.baseline_spread")
    _require(spread >= 0, "compare.baseline_spread", f"must be >= 0, got {spread:g}")
    entries = section.get("metrics") or {}
    _require(isinstance(entries, dict), "compare.metrics", "must be a mapping of metric name to settings")
    metrics = {m.name: m for m in DEFAULTS}
    for name, entry in entries.items():
        field = f"compare.metrics.{name}"
        _require(isinstance(entry, dict), field, "must be a mapping")
        if entry.get("enabled", True) is False:
            _require(name in metrics, field, f"is not a metric (known: {', '.join(metrics)})")
            del metrics[name]
            continue
        _require(entry.get("enabled", True) is True, f"{field}.enabled", "must be true or false")
        metrics[name] = _override(metrics[name], entry, field) if name in metrics else _custom(str(name), entry, field)
    _require(bool(metrics), "compare.metrics", "leave no metric to compare")
    return CompareSettings(tuple(metrics.values()), tolerance, alpha, floor, coverage, spread)


def _override(base: Metric, entry: dict[str, Any], field: str) -> Metric:
    _unknown(entry, _OVERRIDE, field)
    changes: dict[str, Any] = {}
    if "tolerance" in entry:
        changes["tolerance"] = _share(entry["tolerance"], f"{field}.tolerance")
    if "min_change" in entry:
        changes["min_change"] = _number(entry["min_change"], f"{field}.min_change")
        _require(changes["min_change"] >= 0, f"{field}.min_change", "must be >= 0")
    if "stat" in entry:
        _require(entry["stat"] in (MEDIAN, MEAN), f"{field}.stat", f"must be median or mean, got {entry['stat']!r}")
        changes["stat"] = entry["stat"]
    return dataclasses.replace(base, **changes)


def _custom(name: str, entry: dict[str, Any], field: str) -> Metric:
    _require(bool(_ID.match(name)), field, "must be a built-in metric or a new name of [a-z0-9_] letters "
             f"(built-in: {', '.join(m.name for m in DEFAULTS)})")
    _unknown(entry, _CUSTOM, field)
    for key in ("query", "better"):
        _require(key in entry, f"{field}.{key}", "is required for a new metric")
    _require(isinstance(entry["query"], str) and entry["query"].strip() != "", f"{field}.query",
             "must be a PromQL string (use $interval for the sample step)")
    _require(entry["better"] in (HIGHER, LOWER), f"{field}.better", f"must be higher or lower, got {entry['better']!r}")
    per_process = entry.get("per_process", False)
    _require(isinstance(per_process, bool), f"{field}.per_process", "must be true or false")
    base = Metric(name, entry["query"], entry["better"], str(entry.get("unit", "")),
                  str(entry.get("description") or f"custom: {entry['query']}"), per_process)
    return _override(base, {k: v for k, v in entry.items() if k in _OVERRIDE - {"enabled"}}, field)


def _share(value: Any, field: str) -> float:
    """A tolerance: a fraction (0.1) or a percentage string (``"10%"``), >= 0."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100
        except ValueError:
            raise ConfigError(field, f"must be a fraction like 0.1 or a percentage like 10%, got {value!r}") from None
    share = _number(value, field)
    _require(share >= 0, field, f"must be >= 0, got {share:g}")
    return share
