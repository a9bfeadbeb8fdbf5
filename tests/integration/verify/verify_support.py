"""Helpers of the verify-soak tests: deterministic soak histories backfilled into a real Prometheus."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from soakwatch.stack import Server, find_binary, prometheus
from soakwatch.testing.soak_history import BREAKABLE, LEAD_IN, LENGTH, History, Variant, build

BASE = 1767225600  # 2026-01-01T00:00:00Z: a fixed past, so every run of the suite sees the same data
SPACING = 3 * 3600  # each history sits in its own 3-hour slot of one TSDB
# Backfilled blocks lie in the past. Prometheus 2.42 counts time retention from the newest block, so they survive
# the default 15d only while nothing newer is written: no scrape jobs here, and a retention that keeps them anyway.
PROMETHEUS_ARGS = ("--storage.tsdb.retention.time=100y",)
MINIMAL_CONFIG = "global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
MINUTE = 60
# Runs that look fine to increase() or to a verdict that trusts the flags (times from the history's start).
VARIANTS = {
    "late_queue_dropped": Variant(late={"queue_dropped": (LEAD_IN + 2 * MINUTE, 2)}),
    "late_export_error": Variant(late={"export_errors": (LEAD_IN + 30 * MINUTE, 1)}),
    "harvester_silent": Variant(harvester_silent_from=LEAD_IN + 5 * MINUTE),
    "late_unhealthy": Variant(late={"broker:unhealthy": (LEAD_IN + 30 * MINUTE, 8)}),
    "exact_hour": Variant(begin=LEAD_IN, stop=LENGTH - 6),
    "exports_phase_0": Variant(export_period=MINUTE),
    "exports_phase_37": Variant(export_period=MINUTE, export_phase=37),
    "exports_skip_minute": Variant(export_period=MINUTE, skip_exports=(LEAD_IN + 30 * MINUTE,)),
    "rate_dip": Variant(rate_dip=(LEAD_IN, LEAD_IN + 5 * MINUTE, 1000.0)),
    "exporter_restart": Variant(export_period=MINUTE, export_phase=20, exporter_restart=LEAD_IN + 30 * MINUTE + 15,
                                queue_drops=((LEAD_IN + 20 * MINUTE, 3), (LEAD_IN + 40 * MINUTE, 2))),
}
SCENARIOS = ("pass", *BREAKABLE, "half_covered", "cut_short", *VARIANTS)


@dataclass(frozen=True)
class Soaks:
    """A Prometheus holding one history per scenario; ``until(name)`` is the end of its 60-minute window."""

    server: Server

    @property
    def url(self) -> str:
        return self.server.url

    def until(self, scenario: str) -> str:
        return str(BASE + SCENARIOS.index(scenario) * SPACING + LENGTH)

    def at(self, scenario: str, seconds: float, tz: str = "Asia/Tokyo") -> str:
        """ISO time of ``seconds`` after the start of ``scenario``'s history."""
        moment = BASE + SCENARIOS.index(scenario) * SPACING + seconds
        return datetime.fromtimestamp(moment, ZoneInfo(tz)).isoformat(timespec="seconds")

    def args(self, scenario: str, *extra: str) -> list[str]:
        return ["--prometheus-url", self.url, "--since", "60m", "--until", self.until(scenario), *extra]


def histories() -> History:
    h = History()
    for index, scenario in enumerate(SCENARIOS):
        start = BASE + index * SPACING
        if scenario == "half_covered":
            build(start, minutes_present=(35, LENGTH / 60), history=h)
        elif scenario == "cut_short":  # stopped 45 minutes into the window: the data ends there
            build(start, minutes_present=(0, (LEAD_IN + 45 * MINUTE) / 60), history=h)
        elif scenario in VARIANTS:
            build(start, variant=VARIANTS[scenario], history=h)
        else:
            build(start, None if scenario == "pass" else scenario, history=h)
    return h


def backfill(history: History, workdir: Path) -> Path:
    """``promtool tsdb create-blocks-from openmetrics`` into a fresh storage dir."""
    source, storage = workdir / "history.om", workdir / "tsdb"
    source.write_text(history.openmetrics())
    result = subprocess.run([find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                             str(storage)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"promtool failed: {result.stderr[-2000:]}"
    return storage


def start_prometheus(workdir: Path, storage: Path, extra: tuple[str, ...] = ()) -> Server:
    config = workdir / "prometheus.yml"
    config.write_text(MINIMAL_CONFIG)
    return prometheus(workdir, config, storage_dir=storage, extra_args=(*PROMETHEUS_ARGS, *extra))
