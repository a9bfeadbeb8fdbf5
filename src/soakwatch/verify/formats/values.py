"""Human-readable values, thresholds and per-criterion summaries shared by the output formats."""

from __future__ import annotations

import math

from soakwatch.verify.criteria.base import OPS, WHOLE
from soakwatch.verify.engine import CheckResult, CriterionResult

MIB = 1024.0 * 1024.0


def fmt(value: float | None, unit: str) -> str:
    """``5,012 msgs/s``, ``0.05%``, ``4.1 ms``, ``123.4 MB``, ``3``; ``-`` for no value."""
    if value is None or math.isnan(value):
        return "-"
    if unit == "msgs/s":
        return f"{value:,.0f} msgs/s"
    if unit == "ratio":
        return f"{value * 100:.3g}%"
    if unit == "seconds":
        return f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    if unit in ("bytes", "bytes/h"):
        return f"{value / MIB:.1f} MB" + ("/h" if unit == "bytes/h" else "")
    if unit == "count":
        return f"{value:.0f}"
    if unit == "per_minute":
        return f"{value:.2f}/min"
    if unit == "bool":
        return "yes" if value >= 1 else "no"
    return f"{value:.6g}" + (f" {unit}" if unit else "")


def threshold(check: CheckResult) -> str:
    if check.unit == "bool":
        return f"{check.name} {'yes' if OPS[check.op](1.0, check.threshold) else 'no'}"
    return f"{check.name} {check.op} {fmt(check.threshold, check.unit)}"


def measured(check: CheckResult) -> str:
    return f"{check.name} {fmt(check.worst(), check.unit)}"


def thresholds(result: CriterionResult) -> str:
    return "; ".join(threshold(c) for c in result.checks)


def measurements(result: CriterionResult) -> str:
    return "; ".join(measured(c) for c in result.checks)


def detail(result: CriterionResult) -> str:
    """Which processes failed, then the notes."""
    parts = []
    if result.per_process and result.failed_keys:
        parts.append("failed: " + ", ".join(f"{k} ({result.keys[k]})" for k in result.failed_keys))
    parts += result.notes
    return "; ".join(parts)


def per_key_rows(result: CriterionResult) -> list[tuple[str, str, str]]:
    """``(process, status, values)`` for per-process criteria."""
    rows = []
    for key, status in result.keys.items():
        values = ", ".join(f"{c.name} {fmt(c.values.get(key), c.unit)}" for c in result.checks)
        rows.append((key or WHOLE, status, values))
    return rows


def verdict_line(results: list[CriterionResult], passed: bool, strict: bool) -> str:
    bad = [r.id for r in results if r.fails(strict)]
    warned = [r.id for r in results if r.status == "warn" and not r.fails(strict)]
    text = f"verdict: {'PASS' if passed else 'FAIL'} ({len(results) - len(bad)}/{len(results)} criteria passed"
    text += f"; failed: {', '.join(bad)}" if bad else ""
    text += f"; warnings: {', '.join(warned)}" if warned else ""
    return text + ")"


def duration(seconds: float) -> str:
    """``2 min 52 s``, ``1 h 0 min``, ``45 s``: a window's length as people say it."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" + (f" {secs} s" if secs else "")
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
