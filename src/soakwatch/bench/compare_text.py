"""The plain-text output of ``bench compare``: one line per figure and budget, then the verdict."""

from __future__ import annotations

import math

from soakwatch.bench.budgets import BudgetResult
from soakwatch.bench.compare import Change, Comparison
from soakwatch.bench.config import MODES


def number(value: float) -> str:
    """A figure's value, readable: 4 significant digits below 10,000, thousands separators above."""
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def describe(change: Change, limit: float) -> str:
    """``regressed: NAME a -> b (+25.0% worse; lower is better by RULE; allowed 10.0%)`` or an ``ok:`` line."""
    direction = f"{change.better} is better by {change.rule}"
    values = f"{change.label} {number(change.baseline)} -> {number(change.current)}"
    if change.worse > limit:
        amount = "from zero" if math.isinf(change.worse) else f"{change.worse:+.1%} worse"
        return f"regressed: {values} ({amount}; {direction}; allowed {limit:.1%})"
    relative = change.change
    return f"ok: {values} ({'from zero' if relative is None else f'{relative:+.1%}'}; {direction})"


def budget_line(result: BudgetResult) -> str:
    """``budget met: NAME 1,025 >= 833``, ``budget breached: ...`` or why the figure has no value."""
    state = "met" if result.met else "breached"
    shown = number(result.value) if result.value is not None else f"({result.reason})"
    return f"budget {state}: {result.budget} (current {shown})"


def verdict(result: Comparison) -> str:
    """The last line: what failed, or ``ok:``, with the limit and what the figures were compared by."""
    counts = [f"{len(result.regressed)} of {len(result.changes)} figures regressed" if result.changes
              else "failed: no figure measured in both reports"]
    if result.budgets:
        counts.append(f"{len(result.breached)} of {len(result.budgets)} budgets breached")
    if not result.exit_code:
        counts = [f"ok: {len(result.changes)} figures"] + ([f"{len(result.budgets)} budgets met"]
                                                           if result.budgets else [])
    if result.skipped:
        counts.append(f"{len(result.skipped)} not compared")
    mode = result.baseline.get("mode")
    basis = f"{mode}, medians across repeats" if mode in MODES else "nested figures by median unless the spec says"
    return f"{', '.join(counts)} (allowed {result.limit:.1%}, {basis})"


def render_text(result: Comparison) -> str:
    """Every figure, every figure not compared, every budget, then the verdict."""
    lines = [describe(change, result.limit) for change in result.changes]
    lines += [f"not compared: {skipped.name} ({skipped.reason})" for skipped in result.skipped]
    lines += [budget_line(budget) for budget in result.budgets]
    return "\n".join([*lines, verdict(result)]) + "\n"


def parameter_notes(result: Comparison) -> list[str]:
    """A note for each run parameter that differs between the two reports (for stderr)."""
    return [f"note: {name} differs: baseline {old!r}, current {new!r}" for name, old, new in result.parameters]
