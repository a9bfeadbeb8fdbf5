"""The criteria file (YAML): override thresholds and severities, disable criteria, add custom PromQL ones."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from soakwatch.contract import PROCESSES
from soakwatch.errors import ConfigError
from soakwatch.verify.criteria import REGISTRY, SEVERITIES, Check, Criterion
from soakwatch.verify.criteria.base import OPS
from soakwatch.verify.criteria.run import DEFAULT_PLANNED
from soakwatch.verify.scope import Scope
from soakwatch.verify.window import parse_duration

DEFAULT_MIN_COVERAGE = 0.9
PLANNED = ("run_duration", "duration")  # the criterion and check whose threshold is the planned run length
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"processes", "min_coverage", "criteria", "compare"}  # compare: read by verify-soak compare
_OVERRIDE_KEYS = {"enabled", "severity", "threshold", "thresholds", "warmup"}
_CUSTOM_KEYS = {"enabled", "severity", "description", "query", "op", "threshold", "unit", "per_process", "by",
                "coverage", "series", "warmup"}
WARMUP_CRITERIA = ("tick_rate", "tick_latency", "memory_growth")  # rate, latency, memory slope: what --warmup skips


PROCESSES_DEFAULT = "contract default"
PROCESSES_FILE = "criteria file"


@dataclass(frozen=True)
class Settings:
    """What a verdict runs: the enabled criteria, the processes expected, the coverage floor."""

    criteria: tuple[Criterion, ...]
    processes: tuple[str, ...] = PROCESSES
    min_coverage: float = DEFAULT_MIN_COVERAGE
    disabled: tuple[str, ...] = ()
    planned_seconds: float | None = None  # the file's criteria.run_duration.threshold; after with_planned: in force
    warmups: dict[str, float] = dataclasses.field(default_factory=dict)  # seconds each criterion skips at the start
    scope: Scope = dataclasses.field(default_factory=Scope)  # matchers on every query (--pipeline, --run-id, ...)
    processes_from: str = PROCESSES_DEFAULT  # where `processes` came from (verify.watched)

    def snapshot(self) -> dict[str, Any]:
        """The settings as plain data, for source_manifest.json."""
        return {
            "processes": list(self.processes), "processes_from": self.processes_from,
            "min_coverage": self.min_coverage, "disabled": list(self.disabled),
            "planned_seconds": self.planned_seconds, "warmups": dict(self.warmups), "scope": self.scope.describe(),
            "criteria": [{"id": c.id, "source": c.source, "severity": c.severity, "per_process": c.per_process,
                          "checks": [dataclasses.asdict(k) for k in c.checks]} for c in self.criteria],
        }


def default_settings() -> Settings:
    return Settings(criteria=tuple(REGISTRY.values()))


def load_settings(path: Path | None) -> Settings:
    """Settings from a criteria file, or the defaults when ``path`` is None."""
    if path is None:
        return default_settings()
    return parse_settings(read_document(path))


def read_document(path: Path) -> Any:
    """The criteria file's YAML document (``--criteria``)."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError("--criteria", f"must be a readable file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("--criteria", f"must be UTF-8 text ({path}: byte {exc.start} is not UTF-8)") from None
    except yaml.YAMLError as exc:
        raise ConfigError("--criteria", f"must be valid YAML ({str(exc).splitlines()[0]})") from None
    return document


def parse_settings(document: Any) -> Settings:
    _require(isinstance(document, dict), "(top level)", "must be a mapping")
    _unknown(document, _TOP_KEYS, "")
    processes = document.get("processes", list(PROCESSES))
    _require(isinstance(processes, list) and all(isinstance(p, str) and p for p in processes), "processes",
             "must be a list of process names")
    min_coverage = _number(document.get("min_coverage", DEFAULT_MIN_COVERAGE), "min_coverage")
    _require(0 < min_coverage <= 1, "min_coverage", f"must be > 0 and <= 1, got {min_coverage}")
    entries = document.get("criteria") or {}
    _require(isinstance(entries, dict), "criteria", "must be a mapping of criterion id to settings")
    criteria: dict[str, Criterion] = dict(REGISTRY)
    disabled = []
    for cid, entry in entries.items():
        field = f"criteria.{cid}"
        _require(isinstance(entry, dict), field, "must be a mapping")
        criterion = _override(REGISTRY[cid], entry, field) if cid in REGISTRY else _custom(str(cid), entry, field)
        criteria[criterion.id] = criterion
        if entry.get("enabled", True) is False:
            disabled.append(criterion.id)
        else:
            _require(entry.get("enabled", True) is True, f"{field}.enabled", "must be true or false")
    enabled = tuple(c for c in criteria.values() if c.id not in disabled)
    planned = criteria[PLANNED[0]].check(PLANNED[1]).threshold if _sets_planned(entries) else None
    _require(planned is None or planned > 0, "criteria.run_duration.threshold", f"must be > 0 seconds, got {planned}")
    warmups = {str(cid): _warmup(entry["warmup"], f"criteria.{cid}.warmup") for cid, entry in entries.items()
               if "warmup" in entry}
    origin = PROCESSES_FILE if "processes" in document else PROCESSES_DEFAULT
    return Settings(enabled, tuple(processes), min_coverage, tuple(disabled), planned, warmups,
                    processes_from=origin)


def _warmup(value: Any, field: str) -> float:
    """A warm-up: a Prometheus duration (``5m``) or seconds >= 0."""
    if isinstance(value, str):
        return parse_duration(value, field)
    seconds = _number(value, field)
    _require(seconds >= 0, field, f"must be a duration like 5m or seconds >= 0, got {value!r}")
    return seconds


def with_warmup(settings: Settings, flag: float | None) -> Settings:
    """``--warmup`` for the rate, latency and memory-slope criteria the criteria file gives no warm-up of its own."""
    if not flag:
        return settings
    return dataclasses.replace(settings, warmups={**dict.fromkeys(WARMUP_CRITERIA, flag), **settings.warmups})


def _sets_planned(entries: dict[str, Any]) -> bool:
    entry = entries.get(PLANNED[0]) or {}
    return "threshold" in entry or PLANNED[1] in (entry.get("thresholds") or {})


def with_planned(settings: Settings, flag: float | None, manifest: float | None) -> Settings:
    """``run_duration`` judged against the planned length: ``--min-duration``, else the criteria file, else the
    run manifest's, else the default (60 minutes)."""
    planned = next((p for p in (flag, settings.planned_seconds, manifest) if p is not None), DEFAULT_PLANNED)
    criteria = tuple(dataclasses.replace(c, checks=tuple(dataclasses.replace(k, threshold=planned)
                                                         if k.name == PLANNED[1] else k for k in c.checks))
                     if c.id == PLANNED[0] else c for c in settings.criteria)
    return dataclasses.replace(settings, criteria=criteria, planned_seconds=planned)


def _override(base: Criterion, entry: dict[str, Any], field: str) -> Criterion:
    _unknown(entry, _OVERRIDE_KEYS, field)
    thresholds = dict(entry.get("thresholds") or {})
    _require(isinstance(entry.get("thresholds", {}), dict), f"{field}.thresholds", "must be a mapping")
    if "threshold" in entry:
        _require(len(base.checks) == 1, f"{field}.threshold",
                 f"is ambiguous: {base.id} has several checks, use thresholds: {{{_names(base)}}}")
        thresholds[base.checks[0].name] = _number(entry["threshold"], f"{field}.threshold")
    names = {c.name for c in base.checks}
    for name in thresholds:
        _require(name in names, f"{field}.thresholds.{name}", f"is not a check of {base.id} (checks: {_names(base)})")
    checks = tuple(dataclasses.replace(c, threshold=_number(thresholds[c.name], f"{field}.thresholds.{c.name}"))
                   if c.name in thresholds else c for c in base.checks)
    return dataclasses.replace(base, checks=checks, severity=_severity(entry, base.severity, field))


def _custom(cid: str, entry: dict[str, Any], field: str) -> Criterion:
    _require(bool(_ID.match(cid)), field, "must be a built-in criterion id or a new id of [a-z0-9_] letters "
             f"(built-in: {', '.join(REGISTRY)})")
    _unknown(entry, _CUSTOM_KEYS, field)
    for key in ("query", "op", "threshold"):
        _require(key in entry, f"{field}.{key}", "is required for a custom criterion")
    query = entry["query"]
    _require(isinstance(query, str) and query.strip() != "", f"{field}.query", "must be a PromQL string")
    _require(entry["op"] in OPS, f"{field}.op", f"must be one of {' '.join(OPS)}, got {entry['op']!r}")
    plot = str(entry.get("series") or query.replace("$window", "$rate_window"))
    return Criterion(
        id=cid, description=str(entry.get("description") or f"custom: {query}"),
        checks=(Check("value", query, entry["op"], _number(entry["threshold"], f"{field}.threshold"),
                      str(entry.get("unit", ""))),),
        coverage=str(entry.get("coverage") or plot), series=plot, severity=_severity(entry, "critical", field),
        per_process=bool(entry.get("per_process", False)), by=str(entry.get("by", "process")), source="custom",
    )


def _severity(entry: dict[str, Any], default: str, field: str) -> str:
    value = entry.get("severity", default)
    _require(value in SEVERITIES, f"{field}.severity", f"must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return str(value)


def _number(value: Any, field: str) -> float:
    _require(isinstance(value, int | float) and not isinstance(value, bool), field, f"must be a number, got {value!r}")
    _require(math.isfinite(value), field, f"must be a finite number, got {value!r}")
    return float(value)


def _unknown(entry: dict[str, Any], allowed: set[str], field: str) -> None:
    for key in entry:
        name = f"{field}.{key}" if field else str(key)
        _require(key in allowed, name, f"is not a known option (known: {', '.join(sorted(allowed))})")


def _names(criterion: Criterion) -> str:
    return ", ".join(c.name for c in criterion.checks)


def _require(ok: bool, field: str, rule: str) -> None:
    if not ok:
        raise ConfigError(field, rule)
