"""Real Prometheus servers holding deterministic 60-minute soak histories, built with promtool."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from soakwatch.stack import Server, find_binary, prometheus
from soakwatch.testing.soak_history import BREAKABLE, LENGTH, History, build

BASE = 1767225600  # 2026-01-01T00:00:00Z: a fixed past, so every run of the suite sees the same data
SPACING = 3 * 3600  # each history sits in its own 3-hour slot of one TSDB
# Backfilled blocks lie far in the past; Prometheus 2.42 must keep them (time retention counts from the newest
# block, but be explicit) and must not start a scrape that would put new samples in the head.
PROMETHEUS_ARGS = ("--storage.tsdb.retention.time=100y",)
MINIMAL_CONFIG = "global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
SCENARIOS = ("pass", *BREAKABLE, "half_covered")


@dataclass(frozen=True)
class Soaks:
    """A Prometheus holding one history per scenario; ``until(name)`` is the end of its 60-minute window."""

    server: Server

    @property
    def url(self) -> str:
        return self.server.url

    def until(self, scenario: str) -> str:
        return str(BASE + SCENARIOS.index(scenario) * SPACING + LENGTH)

    def args(self, scenario: str, *extra: str) -> list[str]:
        return ["--prometheus-url", self.url, "--since", "60m", "--until", self.until(scenario), *extra]


def histories() -> History:
    h = History()
    for index, scenario in enumerate(SCENARIOS):
        start = BASE + index * SPACING
        if scenario == "half_covered":
            build(start, minutes_present=(35, LENGTH / 60), history=h)
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


@pytest.fixture(scope="session")
def soak_tsdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("soak-history")
    return backfill(histories(), workdir)


@pytest.fixture(scope="session")
def soaks(soak_tsdb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Soaks]:
    with start_prometheus(tmp_path_factory.mktemp("soak-prometheus"), soak_tsdb) as server:
        yield Soaks(server)
