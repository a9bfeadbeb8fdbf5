"""What the orchestrator's run manifest says about a run: its id, planned length, symbols, endpoint, backoff.

verify-soak reads it with ``--run-manifest FILE`` (the orchestrator's ``run_manifest*.json``, the demo's
``<state>/demo/run_manifest.json``). Every field is optional; a field that is present must be well formed.
The planned length is ``planned_duration_seconds`` (top level) or, in the demo's manifest, ``run.minutes``; the
run's start (for ``--watch``) is ``window.start``, else ``run.started_at``; its end, once it has shut down,
``window.end``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soakwatch.errors import ConfigError
from soakwatch.natsconn import public_url

FLAG = "--run-manifest"


@dataclass(frozen=True)
class RunInfo:
    """The run as its orchestrator recorded it; None where the manifest does not say."""

    run_id: str | None = None
    planned_seconds: float | None = None
    symbols: tuple[str, ...] | None = None
    endpoint: str | None = None
    region: str | None = None
    restart_backoff_pattern: tuple[float, ...] | None = None
    start_time: float | None = None  # unix seconds the run began (window.start, else run.started_at)
    end_time: float | None = None  # unix seconds its shutdown ended (window.end), once it has
    path: str | None = None
    document: dict[str, Any] = field(default_factory=dict, repr=False)


def load_run_info(path: Path | None) -> RunInfo:
    """The run info of the manifest at ``path``; an empty RunInfo when ``path`` is None."""
    if path is None:
        return RunInfo()
    try:
        document = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigError(FLAG, f"must be a readable file ({exc.strerror or exc}: {path})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(FLAG, f"must be a JSON file ({exc}: {path})") from None
    return parse_run_info(document, str(path))


def parse_run_info(document: Any, path: str | None = None) -> RunInfo:
    _require(isinstance(document, dict), "(top level)", "must be a JSON object")
    run = document.get("run") if isinstance(document.get("run"), dict) else {}
    return RunInfo(
        run_id=_text(document.get("run_id"), "run_id"),
        planned_seconds=_planned(document, run),
        symbols=_symbols(document.get("symbols", run.get("symbols"))),
        endpoint=_endpoint(document.get("data_source_endpoint", run.get("nats_url"))),
        region=_text(document.get("region", run.get("region")), "region"),
        restart_backoff_pattern=_backoff(document.get("restart_backoff_pattern")),
        start_time=_start(document, run),
        end_time=_end(document),
        path=path,
        document=document,
    )


def _planned(document: dict[str, Any], run: dict[str, Any]) -> float | None:
    if "planned_duration_seconds" in document:
        return _positive(document["planned_duration_seconds"], "planned_duration_seconds")
    if "minutes" in run:
        return _positive(run["minutes"], "run.minutes") * 60.0
    return None


def _start(document: dict[str, Any], run: dict[str, Any]) -> float | None:
    found = document.get("window")
    window: dict[str, Any] = found if isinstance(found, dict) else {}
    if window.get("start") is not None:
        return _positive(window["start"], "window.start")
    if run.get("started_at") is not None:
        return _positive(run["started_at"], "run.started_at")
    return None


def _end(document: dict[str, Any]) -> float | None:
    found = document.get("window")
    window: dict[str, Any] = found if isinstance(found, dict) else {}
    return _positive(window["end"], "window.end") if window.get("end") is not None else None


def _positive(value: Any, name: str) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    _require(ok, name, f"must be a finite number > 0, got {value!r}")
    return float(value)


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    _require(isinstance(value, str), name, f"must be a string, got {value!r}")
    return str(value)


def _symbols(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    _require(isinstance(value, list) and all(isinstance(s, str) for s in value), "symbols",
             "must be a list of strings")
    return tuple(value)


def _endpoint(value: Any) -> str | None:
    return public_url(_text(value, "data_source_endpoint"))


def _backoff(value: Any) -> tuple[float, ...] | None:
    if value is None:
        return None
    ok = isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in value)
    _require(ok, "restart_backoff_pattern", "must be a list of finite numbers >= 0 (seconds)")
    return tuple(float(v) for v in value)


def _require(ok: bool, name: str, rule: str) -> None:
    if not ok:
        raise ConfigError(f"{FLAG} {name}", rule)
