"""The orchestrator's run_manifest.json of a demo run, with the field names of the users' own manifests."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soakwatch.contract import SHUTDOWN_ORDER
from soakwatch.demo.faults import Fault
from soakwatch.demo.observer import MIB, Observer
from soakwatch.demo.supervisor import Supervisor

MANIFEST_NAME = "run_manifest.json"
DEFAULT_SCRAPE_SECONDS = 5.0  # prometheus.yml's scrape interval, that of `soakwatch up` unless told otherwise


@dataclass
class RunInfo:
    """The run's settings and times; ``window`` is what verify-soak should judge."""

    run_id: str
    started_at: float
    minutes: float
    rate: float
    symbols: list[str]
    nats_url: str
    timeseries: dict[str, str]
    faults: list[Fault]
    state: str = "starting"
    window_start: float | None = None
    window_end: float | None = None
    applied: list[dict[str, Any]] = field(default_factory=list)


def build(run: RunInfo, supervisor: Supervisor, observer: Observer) -> dict[str, Any]:
    """The manifest: status.processes, restart_backoff_pattern, harvester_metrics, resource_usage,
    shutdown_order, timeseries_export and alerts, plus the demo's own run, faults and window."""
    return {
        "run_id": run.run_id,
        "planned_duration_seconds": run.minutes * 60.0,
        "status": {"state": run.state, "processes": _processes(supervisor)},
        "restart_backoff_pattern": list(supervisor.backoff_pattern),
        "harvester_metrics": {
            "queue_dropped": observer.harvester["queue_dropped"],
            "substream_timeout_detected": observer.harvester["substream_timeouts"] > 0,
            "substream_timeouts": observer.harvester["substream_timeouts"],
            "reconnect_count": observer.harvester["reconnect_count"],
        },
        "resource_usage": _resources(observer),
        "shutdown_order": list(supervisor.shutdown_order),
        "shutdown_order_expected": list(SHUTDOWN_ORDER),
        "shutdown_order_seen": supervisor.shutdown_order == list(SHUTDOWN_ORDER),
        "timeseries_export": {"backend": observer.export_backend, "export_count": observer.export_count,
                              "error_count": observer.export_errors},
        "alerts": [],
        "run": {"started_at": run.started_at, "minutes": run.minutes, "rate": run.rate, "symbols": run.symbols,
                "nats_url": run.nats_url, "timeseries": run.timeseries},
        "faults": [{**f.as_dict(), **_applied(run, f)} for f in run.faults],
        "window": {"start": run.window_start, "end": run.window_end},
    }


def _processes(supervisor: Supervisor) -> dict[str, Any]:
    return {role: {"restart_count": c.restart_count, "pid": c.process.pid if c.running and c.process else None,
                   "running": c.running, "started_at": c.started_at, "exited_at": c.exited_at, "pids": c.pids}
            for role, c in supervisor.children.items()}


def _resources(observer: Observer) -> dict[str, Any]:
    per = {role: {"max_rss_mb": round(r.max_rss_bytes / MIB, 1), "max_open_files": r.max_open_files}
           for role, r in sorted(observer.resources.items())}
    return {"max_rss_mb": max((p["max_rss_mb"] for p in per.values()), default=0.0),
            "max_open_files": max((p["max_open_files"] for p in per.values()), default=0), "per_process": per}


def _applied(run: RunInfo, fault: Fault) -> dict[str, Any]:
    for entry in run.applied:
        if entry["spec"] == fault.spec:
            return {"applied_at": entry.get("applied_at"), "ended_at": entry.get("ended_at")}
    return {"applied_at": None, "ended_at": None}


def write(path: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def verify_window(manifest: dict[str, Any], scrape: float) -> tuple[str, float]:
    """``(--since, --until)`` that judge the whole run: from the moment the pipeline was up (its processes
    healthy, the ticks flowing; the run's start if it never was) to one scrape after the shutdown, so the
    exit times of the shutdown are in the window and the run's length can be measured in it."""
    window = manifest["window"]
    start = window["start"] or manifest["run"]["started_at"]
    until = float(window["end"] or time.time()) + scrape + 0.5
    return f"{math.ceil(until - float(start))}s", until
