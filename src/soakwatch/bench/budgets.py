"""Absolute budgets such as ``candles_per_sec.min>=833``, parsed from --budget or a file and checked on a report."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from soakwatch.bench.spec import load_mapping
from soakwatch.errors import ConfigError

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
}
_SYNTAX = re.compile(r"^\s*([A-Za-z_][\w.\-]*?)\s*(>=|<=|==|>|<)\s*(\S+)\s*$")
_RULE = "must be FIGURE[.STAT] OP NUMBER with OP one of >=, <=, >, <, == (e.g. candles_per_sec.min>=833)"


@dataclass(frozen=True)
class Budget:
    """One budget: the figure (and statistic of a nested figure), the comparison and the bound."""

    name: str
    op: str
    bound: float

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class BudgetResult:
    """A budget checked on the current report; ``value`` is None when the figure was not measured there."""

    budget: Budget
    value: float | None
    reason: str = ""

    @property
    def met(self) -> bool:
        return self.value is not None and OPERATORS[self.budget.op](self.value, self.budget.bound)


def parse_budget(text: str, field: str = "--budget") -> Budget:
    """``"p95_stage_latency_ms<50"`` -> Budget; ConfigError naming ``field`` and the syntax."""
    match = _SYNTAX.match(str(text))
    try:
        bound = float(match.group(3)) if match else math.nan
    except ValueError:
        bound = math.nan
    if match is None or not math.isfinite(bound):
        raise ConfigError(field, f"{_RULE}, got {text!r}")
    return Budget(match.group(1), match.group(2), bound)


def load_budgets(flags: Sequence[str], path: Path | None) -> list[Budget]:
    """The budgets of the --budget flags, then those under ``budgets:`` in the budget file."""
    budgets = [parse_budget(text) for text in flags]
    if path is not None:
        entries = load_mapping(path, ("budgets",)).get("budgets")
        if not isinstance(entries, list) or not entries:
            raise ConfigError("budgets", f"must be a non-empty list of budgets like 'p95_stage_latency_ms<50' "
                                         f"(in {path})")
        budgets += [parse_budget(str(entry), f"budgets[{i}]") for i, entry in enumerate(entries)]
    return budgets


def check_budgets(budgets: Sequence[Budget],
                  value_of: Callable[[str], tuple[float | None, str]]) -> list[BudgetResult]:
    """Each budget checked: ``value_of(name)`` gives the figure's current value, or None and why there is none."""
    return [BudgetResult(budget, *value_of(budget.name)) for budget in budgets]
