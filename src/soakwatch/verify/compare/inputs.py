"""The sides of a comparison: evidence bundles (``series.json``) or windows of a Prometheus-API store."""

from __future__ import annotations

import json
from pathlib import Path

from soakwatch.errors import ConfigError
from soakwatch.verify.compare.metrics import Metric
from soakwatch.verify.compare.series import Side, collect, from_document
from soakwatch.verify.promapi import PromClient
from soakwatch.verify.querier import Querier, QueryLog
from soakwatch.verify.scope import Scope
from soakwatch.verify.window import Window

SERIES_FILE = "series.json"


def from_bundle(path: Path, flag: str) -> Side:
    """The samples an evidence bundle (``verify-soak --out DIR``) recorded in its ``series.json``."""
    source = path / SERIES_FILE if path.is_dir() else path
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(flag, f"must be an evidence bundle with {SERIES_FILE} (written by verify-soak --out); "
                                f"cannot read {source} ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        return from_document(json.loads(text), str(path))
    except ValueError as exc:
        raise ConfigError(flag, f"{source} {str(exc).removeprefix('Expecting ')}") from None


def from_store(client: PromClient, window: Window, metrics: tuple[Metric, ...], step: float, log: QueryLog,
               owner: str, scope: Scope | None = None) -> Side:
    """The samples of ``window`` queried from a store, one range query per metric, every selector scoped."""
    scope = scope or Scope()
    label = f"{client.url} {scope.selector}" if scope else client.url
    return collect(Querier(client, window, log, owner, scope), metrics, step, label)


def same_step(sides: list[Side]) -> float:
    """The one sample step of every side; sides sampled at different steps cannot be compared."""
    steps = sorted({side.step for side in sides})
    if len(steps) > 1:
        shown = ", ".join(f"{side.label}: {side.step:g} s" for side in sides)
        raise ConfigError("--step", f"must be the same on every side, got {shown}")
    return steps[0]
