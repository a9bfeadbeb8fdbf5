"""Compare two benchmark reports figure by figure and check the current one against absolute budgets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soakwatch.bench.budgets import Budget, BudgetResult, check_budgets
from soakwatch.bench.direction import FIGURE, PARAMETER, UNKNOWN, Role, is_number, numbers_object, role
from soakwatch.bench.figures import HIGHER
from soakwatch.bench.reportfile import BadReportError, load_report, type_name
from soakwatch.bench.spec import Spec
from soakwatch.errors import ConfigError

__all__ = ["BadReportError", "Change", "Comparison", "Skipped", "compare", "parse_limit"]


@dataclass(frozen=True)
class Change:
    """One figure in both reports; ``worse`` is the relative change in the bad direction (negative: better)."""

    name: str
    baseline: float
    current: float
    better: str
    rule: str = ""
    stat: str | None = None  # the statistic compared when the figure is nested

    @property
    def label(self) -> str:
        return self.name if self.stat is None else f"{self.name}.{self.stat}"

    @property
    def worse(self) -> float:
        delta = self.baseline - self.current if self.better == HIGHER else self.current - self.baseline
        if self.baseline == 0:
            return 0.0 if delta <= 0 else math.inf
        return delta / abs(self.baseline)

    @property
    def change(self) -> float | None:
        """Signed relative change from baseline to current; None from a baseline of zero."""
        if self.baseline == 0:
            return 0.0 if self.current == 0 else None
        return (self.current - self.baseline) / abs(self.baseline)


@dataclass(frozen=True)
class Skipped:
    """A figure that was not compared, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Comparison:
    """Everything one ``bench compare`` found; formatters render it, ``exit_code`` decides."""

    baseline_path: Path
    current_path: Path
    baseline: Mapping[str, Any]
    current: Mapping[str, Any]
    limit: float
    changes: list[Change] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    parameters: list[tuple[str, Any, Any]] = field(default_factory=list)
    budgets: list[BudgetResult] = field(default_factory=list)

    @property
    def regressed(self) -> list[Change]:
        return [change for change in self.changes if change.worse > self.limit]

    @property
    def breached(self) -> list[BudgetResult]:
        return [result for result in self.budgets if not result.met]

    @property
    def exit_code(self) -> int:
        """1 when a figure regressed, a budget was breached or no figure could be compared at all."""
        return 1 if self.regressed or self.breached or not self.changes else 0


def parse_limit(text: str) -> float:
    """``"10%"`` or ``"10"`` -> 0.10; the flag's value must be a percentage >= 0."""
    try:
        value = float(str(text).strip().removesuffix("%"))
    except ValueError:
        raise ConfigError("--max-regression", f"must be a percentage like 10%, got {text!r}") from None
    if not value >= 0 or math.isinf(value):
        raise ConfigError("--max-regression", f"must be a percentage >= 0, got {text!r}")
    return value / 100


_NO_SPEC = Spec()


def compare(baseline_path: Path, current_path: Path, limit: float, spec: Spec = _NO_SPEC,
            ignore: Sequence[str] = (), budgets: Sequence[Budget] = ()) -> Comparison:
    """Load both reports, compare every figure, check every budget on the current report."""
    baseline, current = load_report(baseline_path), load_report(current_path)
    for path, report in ((baseline_path, baseline), (current_path, current)):
        _require_figures(path, report, spec)
    if baseline.get("mode") != current.get("mode"):
        raise BadReportError(f"soakwatch bench compare: modes differ: {baseline_path} is {baseline.get('mode')}, "
                             f"{current_path} is {current.get('mode')}")
    result = Comparison(baseline_path, current_path, baseline, current, limit)
    skip = {*ignore, *spec.ignore}
    for name in [*baseline, *(key for key in current if key not in baseline)]:
        _compare_key(result, name, spec, name in skip)
    result.budgets.extend(check_budgets(budgets, lambda name: _budget_value(result, name, spec)))
    return result


def _require_figures(path: Path, report: Mapping[str, Any], spec: Spec) -> None:
    if not any(role(name, value, report.get("mode"), spec).kind in (FIGURE, UNKNOWN)
               for name, value in report.items()):
        raise BadReportError(f"soakwatch bench compare: {path} has no figures (numbers or objects of numbers)")


def _compare_key(result: Comparison, name: str, spec: Spec, ignored: bool) -> None:
    before, after = result.baseline.get(name), result.current.get(name)
    found = role(name, before if name in result.baseline else after, result.baseline.get("mode"), spec)
    if found.kind == PARAMETER and before != after:
        result.parameters.append((name, before, after))
    if found.kind not in (FIGURE, UNKNOWN):
        return
    if ignored:  # not even type-checked: --ignore is the way out for a key that is not a figure
        result.skipped.append(Skipped(name, "ignored"))
        return
    _check_type(result.baseline_path, name, before)
    _check_type(result.current_path, name, after)
    if found.kind == UNKNOWN:
        result.skipped.append(Skipped(name, "direction unknown: add it to the spec file"))
        return
    _compare_figure(result, name, found, before, after)


def _compare_figure(result: Comparison, name: str, found: Role, before: Any, after: Any) -> None:
    stat = found.stat if isinstance(before, dict) or isinstance(after, dict) else None
    (old, old_why), (new, new_why) = _pick(before, found.stat), _pick(after, found.stat)
    if name not in result.baseline or name not in result.current:
        missing = "baseline" if name not in result.baseline else "current"
        result.skipped.append(Skipped(name, f"not in {missing}"))
    elif old is None or new is None:
        side, why = ("baseline", old_why) if old is None else ("current", new_why)
        result.skipped.append(Skipped(name, f"{why} in {side}"))
    else:
        assert found.better is not None
        result.changes.append(Change(name, old, new, found.better, found.rule, stat))


def _check_type(path: Path, name: str, value: Any) -> None:
    if not (value is None or is_number(value) or numbers_object(value)):
        raise BadReportError(
            f"soakwatch bench compare: {path}: figure {name} must be a number, null or an object of numbers "
            f"like {{\"min\", \"median\", \"p95\"}}, got {type_name(value)}"
        )


def _pick(value: Any, stat: str) -> tuple[float | None, str]:
    """The value a figure is compared by (``stat`` of a nested figure, or the number), or None and why."""
    if isinstance(value, dict):
        if stat not in value:
            return None, f"no {stat}"
        value = value[stat]
    return (None, "not measured") if value is None else (float(value), "")


def _budget_value(result: Comparison, name: str, spec: Spec) -> tuple[float | None, str]:
    key, stat = name, None
    if key not in result.current and "." in name:
        key, stat = name.rsplit(".", 1)
    if key not in result.current:
        return None, f"not in {result.current_path}"
    value = result.current[key]
    _check_type(result.current_path, key, value)
    if stat is not None and is_number(value):
        return None, f"{key} is a plain number, it has no {stat}"
    return _pick(value, stat or role(key, value, result.current.get("mode"), spec).stat)
