"""The compare spec file: which keys of a report are figures (their direction and statistic) or parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soakwatch.bench.figures import HIGHER, LOWER
from soakwatch.errors import ConfigError

DEFAULT_STAT = "median"
_FIELDS = ("figures", "parameters", "ignore")
_FIGURE_FIELDS = ("better", "compare")


@dataclass(frozen=True)
class FigureSpec:
    """A figure named in the spec file: which way is better and which statistic of a nested figure counts."""

    better: str
    compare: str = DEFAULT_STAT


@dataclass(frozen=True)
class Spec:
    """What the spec file says; empty when there is none."""

    figures: Mapping[str, FigureSpec] = field(default_factory=dict)
    parameters: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()


def load_spec(path: Path | None) -> Spec:
    """The spec in ``path`` (YAML or JSON); ConfigError names the field and the rule it breaks."""
    if path is None:
        return Spec()
    data = load_mapping(path, _FIELDS)
    return Spec(_figures(data.get("figures", {})), _names(data, "parameters"), _names(data, "ignore"))


def load_mapping(path: Path, fields: tuple[str, ...]) -> dict[str, Any]:
    """A YAML/JSON mapping with only the given top-level ``fields``."""
    from soakwatch.stack.render import load_yaml  # one YAML reader for every config file

    data = load_yaml(path)
    for key in data:
        if key not in fields:
            raise ConfigError(str(key), f"is not a field of {path} (known: {', '.join(fields)})")
    return data


def _figures(data: Any) -> dict[str, FigureSpec]:
    if not isinstance(data, dict):
        raise ConfigError("figures", "must be a mapping of figure name -> {better: higher|lower, compare: STAT}")
    return {str(name): _figure(str(name), entry) for name, entry in data.items()}


def _figure(name: str, entry: Any) -> FigureSpec:
    if isinstance(entry, str):
        entry = {"better": entry}
    if not isinstance(entry, dict):
        raise ConfigError(f"figures.{name}", "must be higher, lower or {better: higher|lower, compare: STAT}")
    for key in entry:
        if key not in _FIGURE_FIELDS:
            raise ConfigError(f"figures.{name}.{key}", f"is not a known field ({', '.join(_FIGURE_FIELDS)})")
    better = entry.get("better")
    if better not in (HIGHER, LOWER):
        raise ConfigError(f"figures.{name}.better", f"must be {HIGHER} or {LOWER}, got {better!r}")
    stat = entry.get("compare", DEFAULT_STAT)
    if not isinstance(stat, str) or not stat:
        raise ConfigError(f"figures.{name}.compare", f"must be the key of a statistic such as min, got {stat!r}")
    return FigureSpec(better, stat)


def _names(data: Mapping[str, Any], key: str) -> frozenset[str]:
    names = data.get(key, [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ConfigError(key, "must be a list of key names")
    return frozenset(names)
