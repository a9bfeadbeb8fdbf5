"""The demo supervisor with real child processes: restart with backoff, a held kill, ordered shutdown."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time

import psutil

from soakwatch.contract import SHUTDOWN_ORDER
from soakwatch.demo.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


async def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_killed_process_restarts_with_backoff_and_shutdown_is_ordered(tmp_path):
    sup = Supervisor(lambda role: SLEEPER, env={}, log_dir=tmp_path, backoff=(0.2, 0.4))
    await asyncio.wait_for(sup.start(), 10)
    try:
        first = sup.pids()["signal"]
        assert sup.kill("signal") == first
        await _wait(lambda: sup.children["signal"].restart_count == 1 and sup.children["signal"].running)
        assert sup.pids()["signal"] != first
        sup.kill("signal")
        await _wait(lambda: sup.children["signal"].restart_count == 2 and sup.children["signal"].running)
        assert sup.backoff_pattern == [0.2, 0.4]
        started = time.time()
        sup.kill("report", hold=1.0)
        await _wait(lambda: sup.children["report"].restart_count == 1)
        assert time.time() - started >= 0.95
        assert 0.9 <= sup.backoff_pattern[-1] <= 1.0
    finally:
        pids = list(sup.pids().values())
        order = await asyncio.wait_for(sup.shutdown(), 30)
    assert order == list(SHUTDOWN_ORDER)
    exits = [sup.children[role].exited_at for role in SHUTDOWN_ORDER]
    assert exits == sorted(exits) and all(b - a >= 0.25 for a, b in itertools.pairwise(exits))
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids)


async def test_no_restart_during_shutdown(tmp_path):
    sup = Supervisor(lambda role: SLEEPER, env={}, log_dir=tmp_path, roles=("signal",), backoff=(0.1,))
    await asyncio.wait_for(sup.start(), 10)
    assert await asyncio.wait_for(sup.shutdown(), 30) == ["signal"]
    await asyncio.sleep(0.3)
    assert sup.children["signal"].restart_count == 0 and not sup.children["signal"].running
