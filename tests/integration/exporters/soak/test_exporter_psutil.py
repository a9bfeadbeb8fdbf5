"""Real OS processes watched with psutil: a child killed and restarted by the test is a restart with
its measured downtime; a graceful stop in order shows in the exit times."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
from prometheus_client import CollectorRegistry

from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.testing.samples import value

_SLEEPER = "import time, sys; time.sleep(120)"


def _spawn(marker: str, role: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _SLEEPER, marker, role])


async def _until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _exporter(marker: str, roles: tuple[str, ...]):
    match = {role: {"cmdline": rf"{re.escape(marker)}\s+{role}\b"} for role in roles}
    config = parse_config({"processes": {"match": match, "interval": 0.2, "liveness_interval": 0.05}})
    exporter = SoakExporter(config)
    registry = CollectorRegistry()
    exporter.register(registry)
    return exporter, registry


def _stop(*children):
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


@pytest.mark.timeout(40)
async def test_kill_and_restart_is_a_restart_with_downtime():
    marker = f"soakwatch-test-{uuid.uuid4().hex}"
    exporter, registry, stop = *_exporter(marker, ("signal",)), asyncio.Event()
    task = asyncio.create_task(exporter.run(stop))
    spawned_at = time.time()
    first = _spawn(marker, "signal")
    second = None
    try:
        await _until(lambda: value(registry, "soak_process_up", process="signal") == 1, what="first instance up")
        started = value(registry, "soak_process_start_time_seconds", process="signal")
        assert spawned_at - 0.05 <= started <= spawned_at + 0.5
        assert value(registry, "soak_process_resident_memory_bytes", process="signal") > 1_000_000
        assert value(registry, "soak_process_open_fds", process="signal") >= 3
        assert value(registry, "soak_process_threads", process="signal") >= 1
        killed_at = time.time()
        first.send_signal(signal.SIGKILL)
        first.wait()
        await _until(lambda: value(registry, "soak_process_up", process="signal") == 0, what="exit seen")
        exit_time = value(registry, "soak_process_exit_time_seconds", process="signal")
        assert killed_at <= exit_time <= killed_at + 0.5
        await asyncio.sleep(1.0)
        respawned_at = time.time()
        second = _spawn(marker, "signal")
        await _until(lambda: value(registry, "soak_process_restarts_total", process="signal") == 1,
                     what="restart detected")
        assert value(registry, "soak_process_up", process="signal") == 1
        downtime = value(registry, "soak_process_restart_downtime_seconds", process="signal")
        restarted = value(registry, "soak_process_start_time_seconds", process="signal")
        assert respawned_at - 0.05 <= restarted <= respawned_at + 0.5
        assert downtime == pytest.approx(restarted - exit_time)
        assert 0.95 <= downtime <= 1.6
    finally:
        _stop(first, *([second] if second else []))
        stop.set()
        await task


@pytest.mark.timeout(40)
async def test_graceful_stop_order_in_exit_times():
    marker = f"soakwatch-test-{uuid.uuid4().hex}"
    roles = ("harvest", "signal", "broker", "report")
    exporter, registry, stop = *_exporter(marker, roles), asyncio.Event()
    task = asyncio.create_task(exporter.run(stop))
    children = {role: _spawn(marker, role) for role in roles}
    try:
        await _until(lambda: all(value(registry, "soak_process_up", process=r) == 1 for r in roles),
                     what="all four up")
        for role in ("report", "broker", "signal", "harvest"):
            children[role].terminate()
            children[role].wait()
            await asyncio.sleep(0.3)
        await _until(lambda: all(value(registry, "soak_process_up", process=r) == 0 for r in roles),
                     what="all four down")
        exits = {r: value(registry, "soak_process_exit_time_seconds", process=r) for r in roles}
        assert sorted(exits, key=exits.get) == ["report", "broker", "signal", "harvest"]
        assert all(value(registry, "soak_process_restarts_total", process=r) == 0 for r in roles)
    finally:
        _stop(*children.values())
        stop.set()
        await task
