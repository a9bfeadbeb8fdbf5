"""Runs the enabled criteria in parallel over one window and turns measurements into results."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from soakwatch.errors import ConfigError
from soakwatch.verify import sources
from soakwatch.verify.config import Settings
from soakwatch.verify.criteria.base import WHOLE, Check, Criterion, Measurement, finite
from soakwatch.verify.promapi import PromClient, PrometheusRejected
from soakwatch.verify.querier import Querier, QueryLog, Series, expected_points
from soakwatch.verify.runs import Target
from soakwatch.verify.window import Window

PASS, FAIL, WARN, NO_DATA = "pass", "fail", "warn", "no data"
MAX_WORKERS = 16


@dataclass
class CheckResult:
    """One check of a criterion: its PromQL, comparison and the value per key (process or whole)."""

    name: str
    query: str
    op: str
    threshold: float
    unit: str
    values: dict[str, float | None]
    failed: list[str] = field(default_factory=list)

    def worst(self) -> float | None:
        known = [v for v in self.values.values() if v is not None and finite(v)]
        if not known:
            return None
        return min(known) if self.op in (">=", ">") else max(known)


@dataclass
class CriterionResult:
    """The outcome of one criterion; ``keys`` maps a process (or ``""``) to its own result."""

    id: str
    description: str
    severity: str
    status: str
    checks: list[CheckResult]
    keys: dict[str, str]
    coverage: dict[str, float]
    per_process: bool
    notes: list[str]
    series: list[Series]
    plot_threshold: float | None
    plot_unit: str
    source: str
    measured: dict[str, dict[str, float]] = field(default_factory=dict)  # every value measured, checks or not
    data_source: str = ""  # where its data came from (verify.sources), e.g. "health: heartbeats"

    @property
    def failed_keys(self) -> list[str]:
        return [k for k, status in self.keys.items() if status != PASS]

    def fails(self, strict: bool) -> bool:
        return self.status in (FAIL, NO_DATA) or (strict and self.status == WARN)


@dataclass
class Verdict:
    window: Window
    url: str
    results: list[CriterionResult]
    strict: bool
    run_id: str | None = None  # from --run-manifest, else the run id of the series judged
    target: Target | None = None  # the scope judged and the runs it matched in the window

    @property
    def passed(self) -> bool:
        return not any(r.fails(self.strict) for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def run(client: PromClient, window: Window, settings: Settings, log: QueryLog, strict: bool = False) -> Verdict:
    """Evaluate every criterion of ``settings``; queries of different criteria run in parallel."""
    workers = max(1, min(MAX_WORKERS, len(settings.criteria)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
        futures = [pool.submit(_evaluate, c, _querier(client, window, settings, log, c.id), settings)
                   for c in settings.criteria]
        results = [f.result() for f in futures]
    sources.annotate(results, Querier(client, window, log, sources.OWNER, settings.scope))
    return Verdict(window, client.url, results, strict)


def _querier(client: PromClient, window: Window, settings: Settings, log: QueryLog, cid: str) -> Querier:
    return Querier(client, criterion_window(window, settings, cid), log, cid, settings.scope)


def criterion_window(window: Window, settings: Settings, cid: str) -> Window:
    """The window a criterion judges: the verdict's, less the warm-up its settings exclude from the start."""
    skip = settings.warmups.get(cid, 0.0)
    return Window(min(window.start + skip, window.end - 1.0), window.end) if skip > 0 else window


def _evaluate(criterion: Criterion, q: Querier, settings: Settings) -> CriterionResult:
    try:
        return evaluate(criterion, q, settings)
    except PrometheusRejected as exc:
        if criterion.source == "custom":
            raise ConfigError(f"criteria.{criterion.id}.query",
                              f"was rejected: {str(exc).removeprefix('verify-soak: ')}") from None
        raise PrometheusRejected(f"{exc} (criterion {criterion.id})") from None


def evaluate(criterion: Criterion, q: Querier, settings: Settings) -> CriterionResult:
    coverage = measure_coverage(criterion, q)
    measurement = criterion.measure(q) if coverage else Measurement()
    keys = _keys(criterion, settings, coverage, measurement)
    checks = [_check_result(_effective(c, measurement), q.render(c.query), measurement, keys)
              for c in criterion.checks]
    floor = settings.min_coverage if criterion.needs_coverage else 0.0
    statuses = {k: _key_status(k, coverage, checks, floor, criterion.severity) for k in keys}
    notes = list(measurement.notes) or ([] if coverage else ["no series in the window"])
    if settings.warmups.get(criterion.id, 0.0) > 0:
        notes.append(f"warm-up of {settings.warmups[criterion.id]:.0f} s excluded: judged from "
                     f"{q.window.iso(q.window.start)}")
    notes += [f"{k or 'data'}: coverage {coverage[k]:.0%} of the window" for k, s in statuses.items()
              if s == NO_DATA and k in coverage]
    return CriterionResult(
        criterion.id, criterion.description, criterion.severity, _overall(statuses), checks, statuses, coverage,
        criterion.per_process, notes, _series(criterion, q, coverage, measurement),
        _plot_threshold(criterion, measurement), criterion.plot_unit, criterion.source, measurement.values,
    )


def _effective(check: Check, m: Measurement) -> Check:
    """The check with the threshold its criterion derived from this window's data, if any."""
    return dataclasses.replace(check, threshold=m.thresholds[check.name]) if check.name in m.thresholds else check


def _series(criterion: Criterion, q: Querier, coverage: dict[str, float], m: Measurement) -> list[Series]:
    if not coverage:
        return []
    if m.series is not None:
        return [Series(s.labels, thin(s.points, q.window.step)) for s in m.series]
    return [Series(labels, points) for labels, points in q.range(criterion.series)]


def thin(points: list[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """At most the highest and the last point of each ``step`` (a plot computed from raw samples keeps its
    peaks and its end at the resolution of the range queries)."""
    buckets: dict[int, list[tuple[float, float]]] = {}
    for point in points:
        buckets.setdefault(math.floor(point[0] / step), []).append(point)
    kept: list[tuple[float, float]] = []
    for bucket in buckets.values():
        peak = max(bucket, key=lambda p: p[1] if math.isfinite(p[1]) else -math.inf)
        kept += [peak, bucket[-1]] if peak is not bucket[-1] else [peak]
    return kept


def _plot_threshold(criterion: Criterion, m: Measurement) -> float | None:
    name = criterion.plot_check if criterion.plot_check is not None else criterion.checks[0].name
    return m.thresholds.get(name, criterion.plot_threshold) if name else None


def measure_coverage(criterion: Criterion, q: Querier) -> dict[str, float]:
    """Share of the window's range-query points where the coverage expression has a series, per key."""
    by = f"count by ({criterion.by}) " if criterion.per_process else "count "
    expected = expected_points(q.window)
    coverage: dict[str, float] = {}
    for labels, points in q.range(f"{by}({criterion.coverage})"):
        present = sum(1 for _, v in points if not math.isnan(v))
        key = criterion.key(labels)
        coverage[key] = max(coverage.get(key, 0.0), min(1.0, present / expected))
    return coverage


def _keys(criterion: Criterion, settings: Settings, coverage: dict[str, float], m: Measurement) -> list[str]:
    if not criterion.per_process:
        return [WHOLE]
    expected = list(settings.processes) if criterion.by == "process" else []
    seen = set(coverage) | {k for values in m.values.values() for k in values}
    return expected + sorted(seen - set(expected))


def _check_result(check: Check, query: str, m: Measurement, keys: list[str]) -> CheckResult:
    values = {k: m.values.get(check.name, {}).get(k) for k in keys}
    failed = [k for k, v in values.items() if v is not None and finite(v) and not check.passes(v)]
    return CheckResult(check.name, query, check.op, check.threshold, check.unit, values, failed)


def _key_status(key: str, coverage: dict[str, float], checks: list[CheckResult], floor: float, severity: str) -> str:
    if key not in coverage or coverage[key] < floor:
        return NO_DATA
    if any(key in c.failed for c in checks):
        return WARN if severity == "warning" else FAIL
    return PASS if all(finite(c.values.get(key)) for c in checks) else NO_DATA


def _overall(statuses: dict[str, str]) -> str:
    for status in (FAIL, NO_DATA, WARN):
        if status in statuses.values():
            return status
    return PASS
