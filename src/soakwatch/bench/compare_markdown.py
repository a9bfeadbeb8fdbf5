"""The Markdown performance report of ``bench compare``: verdict, figures, budgets, parameters, environment."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import Any

from soakwatch.bench.compare import Change, Comparison
from soakwatch.bench.compare_text import number
from soakwatch.bench.environment import FIELDS, cpu_model, recorded


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return [*lines, *("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows), ""]


def _summary(result: Comparison) -> list[str]:
    verdict = "FAIL" if result.exit_code else "PASS"
    parts = [f"{len(result.regressed)} of {len(result.changes)} figures regressed by more than "
             f"{result.limit:.1%}" if result.changes else "no figure measured in both reports"]
    if result.budgets:
        parts.append(f"{len(result.breached)} of {len(result.budgets)} budgets breached")
    if result.skipped:
        parts.append(f"{len(result.skipped)} figures not compared")
    return [f"# Benchmark comparison: {verdict}", "", f"**{verdict}**: {'; '.join(parts)}.", "",
            f"Baseline `{_cell(result.baseline_path)}`, current `{_cell(result.current_path)}`.", ""]


def _change_row(change: Change, limit: float) -> list[Any]:
    relative = change.change
    shown = "from 0" if relative is None else f"{relative:+.1%}"
    state = "regressed" if change.worse > limit else "ok"
    return [change.label, number(change.baseline), number(change.current), shown, change.better, change.rule, state]


def _figures(result: Comparison) -> list[str]:
    rows = [_change_row(change, result.limit) for change in result.changes]
    rows += [[skipped.name, "", "", "", "", "", f"not compared ({skipped.reason})"] for skipped in result.skipped]
    header = ["figure", "baseline", "current", "change", "better", "direction decided by", "result"]
    return ["## Figures", "", *_table(header, rows)]


def _budgets(result: Comparison) -> list[str]:
    if not result.budgets:
        return ["## Budgets", "", "No budgets given.", ""]
    rows = [[str(entry.budget), number(entry.value) if entry.value is not None else f"({entry.reason})",
             "met" if entry.met else "breached"] for entry in result.budgets]
    return ["## Budgets", "", *_table(["budget", "current", "result"], rows)]


def _parameters(result: Comparison) -> list[str]:
    if not result.parameters:
        return ["## Parameters", "", "The run parameters of both reports are equal.", ""]
    rows = [[name, old, new] for name, old, new in result.parameters]
    return ["## Parameters that differ", "", *_table(["parameter", "baseline", "current"], rows)]


def _environment(result: Comparison) -> list[str]:
    rows = [[label, *(recorded(report, label) or "not recorded" for report in (result.baseline, result.current))]
            for label in FIELDS]
    here = f"Compared on {platform.node()} ({cpu_model()}, Python {platform.python_version()})."
    return ["## Environment", "", *_table(["", "baseline", "current"], rows), here, ""]


def render_markdown(result: Comparison) -> str:
    """The whole report as Markdown."""
    sections = [_summary(result), _figures(result), _budgets(result), _parameters(result), _environment(result)]
    return "\n".join(line for section in sections for line in section)
