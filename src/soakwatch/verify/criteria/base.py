"""The unit of a pass criterion: its checks (PromQL, comparison, threshold) and how it measures them."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from soakwatch.verify.querier import Querier, Series

SEVERITIES = ("critical", "warning")
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
WHOLE = ""  # the key of a criterion's single result when it is not per process


@dataclass(frozen=True)
class Check:
    """One comparison: ``value <op> threshold``; ``query`` is PromQL with ``$window`` placeholders."""

    name: str
    query: str
    op: str
    threshold: float
    unit: str = ""

    def passes(self, value: float) -> bool:
        if self.unit == "count":
            value = round(value)
        return OPS[self.op](value, self.threshold)


@dataclass
class Measurement:
    """Values per check and key (a process name, or ``WHOLE``), plus notes for the report.

    ``thresholds`` replaces a check's threshold for this window (one that depends on the data, such as the
    scrape interval); ``series`` is the plot when the criterion computed it from the data it judged."""

    values: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    series: list[Series] | None = None

    def set(self, check: str, key: str, value: float) -> None:
        self.values.setdefault(check, {})[key] = value


@dataclass(frozen=True)
class Criterion:
    """A pass criterion. ``coverage`` is PromQL whose presence over the window is the data coverage;
    ``series`` is PromQL plotted over the window (``$rate_window``) against ``plot_check``'s threshold, unless
    ``measure`` returns the plot itself. ``needs_coverage=False``: the criterion judges how much of the window
    its data covers (``run_duration``), so any coverage lets it measure."""

    id: str
    description: str
    checks: tuple[Check, ...]
    coverage: str
    series: str
    severity: str = "critical"
    per_process: bool = False
    by: str = "process"
    plot_check: str | None = None
    source: str = "built-in"
    needs_coverage: bool = True

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def plot_threshold(self) -> float | None:
        name = self.plot_check if self.plot_check is not None else self.checks[0].name
        return self.check(name).threshold if name else None

    @property
    def plot_unit(self) -> str:
        return self.check(self.plot_check).unit if self.plot_check else self.checks[0].unit

    def measure(self, q: Querier) -> Measurement:
        """Run every check's query; each sample is one key (by ``by`` label when per process)."""
        m = Measurement()
        for check in self.checks:
            for labels, value in q.instant(check.query):
                m.set(check.name, self.key(labels), value)
        return m

    def key(self, labels: dict[str, str]) -> str:
        return labels.get(self.by, "") if self.per_process else WHOLE


def finite(value: float | None) -> bool:
    return value is not None and not math.isnan(value) and not math.isinf(value)
