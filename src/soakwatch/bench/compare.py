"""Compare two bench reports figure by figure and name every figure that got worse by more than allowed."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soakwatch.bench.config import MODES
from soakwatch.bench.figures import HIGHER, figure
from soakwatch.bench.report import figure_names
from soakwatch.errors import ConfigError, SoakwatchError

# parameters that must match for the figures to be comparable; a difference is reported, not fatal
_PARAMETERS = ("msgs", "duration", "size", "clients", "rate", "responders", "batch", "warmup")


class BadReportError(SoakwatchError):
    """A compare input is missing, not JSON, or not a bench report."""


@dataclass(frozen=True)
class Change:
    """One figure in both reports; ``worse`` is the relative change in the bad direction (negative: better)."""

    name: str
    baseline: float
    current: float
    better: str

    @property
    def worse(self) -> float:
        delta = self.baseline - self.current if self.better == HIGHER else self.current - self.baseline
        if self.baseline == 0:
            return 0.0 if delta <= 0 else math.inf
        return delta / abs(self.baseline)

    def describe(self, limit: float) -> str:
        amount = "from zero" if math.isinf(self.worse) else f"{self.worse:+.1%} worse"
        return (f"regressed: {self.name} {_num(self.baseline)} -> {_num(self.current)} ({amount}; "
                f"{self.better} is better; allowed {limit:.1%})")


def parse_limit(text: str) -> float:
    """``"10%"`` or ``"10"`` -> 0.10; the flag's value must be a percentage >= 0."""
    try:
        value = float(str(text).strip().removesuffix("%"))
    except ValueError:
        raise ConfigError("--max-regression", f"must be a percentage like 10%, got {text!r}") from None
    if not value >= 0 or math.isinf(value):
        raise ConfigError("--max-regression", f"must be a percentage >= 0, got {text!r}")
    return value / 100


def load_report(path: Path) -> dict[str, Any]:
    """A bench report from ``path``; BadReportError names the file and what is wrong."""
    try:
        report = json.loads(path.read_text())
    except OSError as exc:
        raise BadReportError(f"soakwatch bench compare: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BadReportError(f"soakwatch bench compare: {path} is not JSON: {exc}") from None
    if not isinstance(report, dict) or report.get("mode") not in MODES:
        raise BadReportError(
            f"soakwatch bench compare: {path} is not a bench report (\"mode\" must be one of {', '.join(MODES)})"
        )
    if not figure_names(report):
        raise BadReportError(f"soakwatch bench compare: {path} has no figures")
    return report


def representative(value: Any) -> float | None:
    """The value a figure is compared by: the median across repeats, or the number itself."""
    if isinstance(value, dict):
        value = value.get("median")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def changes(baseline: Mapping[str, Any], current: Mapping[str, Any], ignore: Sequence[str] = ()) -> tuple[
        list[Change], list[str]]:
    """Every figure measured in both reports, and notes on those that could not be compared."""
    found, notes = [], []
    for name in figure_names(baseline):
        if name in ignore:
            continue
        before, after = representative(baseline[name]), representative(current.get(name))
        if before is None or after is None:
            side = "baseline" if before is None else "current"
            notes.append(f"not compared: {name} (not measured in {side})")
            continue
        spec = figure(str(baseline["mode"]), name)
        assert spec is not None
        found.append(Change(name, before, after, spec.better))
    return found, notes


def parameter_notes(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """A note for each run parameter that differs between the two reports."""
    return [
        f"note: {key} differs: baseline {baseline.get(key)!r}, current {current.get(key)!r}"
        for key in _PARAMETERS if baseline.get(key) != current.get(key)
    ]


def _num(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def run_compare(baseline_path: Path, current_path: Path, limit: float, ignore: Sequence[str],
                out: Any, err: Any) -> int:
    """Print each regressed figure to ``out``; 1 when any regressed more than ``limit``, else 0."""
    baseline, current = load_report(baseline_path), load_report(current_path)
    if baseline["mode"] != current["mode"]:
        raise BadReportError(
            f"soakwatch bench compare: modes differ: {baseline_path} is {baseline['mode']}, "
            f"{current_path} is {current['mode']}"
        )
    found, notes = changes(baseline, current, ignore)
    for line in [*parameter_notes(baseline, current), *notes]:
        print(line, file=err)
    regressed = [change for change in found if change.worse > limit]
    for change in regressed:
        print(change.describe(limit), file=out)
    verdict = f"{len(regressed)} of {len(found)} figures regressed" if regressed else f"ok: {len(found)} figures"
    print(f"{verdict} (allowed {limit:.1%}, {baseline['mode']}, medians across repeats)", file=out)
    return 1 if regressed else 0
