"""Which keys of a report are figures, which way each is better, and the rule that decided it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soakwatch.bench.config import MODES
from soakwatch.bench.figures import HIGHER, LOWER, figure
from soakwatch.bench.spec import DEFAULT_STAT, Spec

# numbers that describe the run, not a measurement: never compared, a difference is noted
PARAMETERS = ("candles", "msgs", "duration", "size", "clients", "rate", "responders", "batch", "warmup",
              "repeats", "seed", "timeout")
# name endings and whole names that decide a figure's direction, checked in this order
NAME_RULES: tuple[tuple[str, str], ...] = (
    *((suffix, HIGHER) for suffix in ("_per_sec", "_per_second", "_per_min", "_throughput")),
    *((suffix, LOWER) for suffix in ("_ms", "_us", "_ns", "_seconds", "_mb", "_mib", "_gb", "_kb", "_bytes",
                                     "_cpu_percent", "errors", "timeouts", "failures", "_lost", "dropped")),
)
FIGURE, PARAMETER, UNKNOWN, OTHER = "figure", "parameter", "unknown", "other"


@dataclass(frozen=True)
class Role:
    """What a key of a report is; for a figure also its direction, statistic and the rule that decided."""

    kind: str
    better: str | None = None
    stat: str = DEFAULT_STAT
    rule: str = ""


def role(name: str, value: Any, mode: Any, spec: Spec) -> Role:
    """The role of key ``name`` (holding ``value``) in a report of ``mode``, by the rules in docs/bench.md."""
    if name in spec.figures:
        entry = spec.figures[name]
        return Role(FIGURE, entry.better, entry.compare, "spec file")
    if name in spec.parameters or name in PARAMETERS:
        return Role(PARAMETER)
    if mode in MODES:
        known = figure(str(mode), name)
        return Role(FIGURE, known.better, rule=f"soakwatch {mode} figure") if known else Role(OTHER)
    for ending, better in NAME_RULES:
        if name.endswith(ending):
            return Role(FIGURE, better, rule=f"name ends in {ending}")
    return Role(UNKNOWN) if is_number(value) or value is None or numbers_object(value) else Role(OTHER)


def is_number(value: Any) -> bool:
    """A JSON number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def numbers_object(value: Any) -> bool:
    """A nested figure: a non-empty object of numbers and nulls, e.g. ``{"min", "median", "p95"}``."""
    return isinstance(value, dict) and bool(value) and all(is_number(v) or v is None for v in value.values())
