"""Runs the demo's roles as real OS processes, restarts a killed one with backoff, and stops them in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from soakwatch.contract import PROCESSES, SHUTDOWN_ORDER

log = logging.getLogger("soakwatch.demo.supervisor")
BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0)  # capped at 8 s: a restart stays inside the 12 s recovery budget
STABLE_SECONDS = 60.0  # a process that ran this long starts the backoff over
STOP_TIMEOUT = 10.0
STOP_GAP_SECONDS = 0.3  # between two stops, so exit times are apart even for a watcher that polls


@dataclass
class Child:
    """One role and what happened to it."""

    role: str
    process: asyncio.subprocess.Process | None = None
    restart_count: int = 0
    backoff_index: int = 0
    started_at: float | None = None
    exited_at: float | None = None
    hold_until: float = 0.0
    pids: list[int] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None


class Supervisor:
    """``argv(role)`` gives a role's command line (the faults in force included, for a restarted process)."""

    def __init__(self, argv: Callable[[str], Sequence[str]], env: Mapping[str, str], log_dir: Path,
                 roles: Sequence[str] = PROCESSES, backoff: Sequence[float] = BACKOFF_SECONDS) -> None:
        self._argv, self._env, self._log_dir = argv, dict(env), log_dir
        self.children = {role: Child(role) for role in roles}
        self.backoff = tuple(backoff)
        self.backoff_pattern: list[float] = []
        self.shutdown_order: list[str] = []
        self.stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._spawning = asyncio.Lock()  # a restart under way finishes before the shutdown looks at the roles

    async def start(self) -> None:
        """Start every role (in the reverse of the shutdown order) and keep them running."""
        self._log_dir.mkdir(parents=True, exist_ok=True)
        for role in reversed(SHUTDOWN_ORDER):
            if role in self.children:
                child = self.children[role]
                await self._spawn(child)
                self._tasks.append(asyncio.create_task(self._keep(child)))

    async def _spawn(self, child: Child) -> None:
        with open(self._log_dir / f"{child.role}.log", "ab") as out:
            # a session of its own: Ctrl-C on the terminal reaches the supervisor only, which stops them in order
            child.process = await asyncio.create_subprocess_exec(
                *self._argv(child.role), stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, env=self._env,
                start_new_session=True)
        child.started_at, child.exited_at = time.time(), None
        child.pids.append(child.process.pid)

    async def _keep(self, child: Child) -> None:
        while True:
            assert child.process is not None
            await child.process.wait()
            child.exited_at = time.time()
            if self.stopping:
                return
            delay = self._next_delay(child)
            log.warning("%s exited with code %s; restart %d in %.1f s", child.role, child.process.returncode,
                        child.restart_count + 1, delay)
            await asyncio.sleep(delay)
            async with self._spawning:
                if self.stopping:
                    return
                child.restart_count += 1
                self.backoff_pattern.append(round(delay, 3))
                await self._spawn(child)

    def _next_delay(self, child: Child) -> float:
        ran = (child.exited_at or 0.0) - (child.started_at or 0.0)
        if ran >= STABLE_SECONDS:
            child.backoff_index = 0
        delay = self.backoff[min(child.backoff_index, len(self.backoff) - 1)]
        child.backoff_index += 1
        return max(delay, child.hold_until - time.time())

    def kill(self, role: str, hold: float = 0.0) -> int | None:
        """SIGKILL the role's process (a crash); it restarts after the backoff, or after ``hold`` seconds."""
        child = self.children[role]
        if not child.running:
            return None
        assert child.process is not None
        child.hold_until = time.time() + hold
        child.process.send_signal(signal.SIGKILL)
        return child.process.pid

    async def shutdown(self) -> list[str]:
        """SIGTERM each role in the shutdown order, waiting for each to exit; returns the order seen."""
        async with self._spawning:
            self.stopping = True
        for role in SHUTDOWN_ORDER:
            child = self.children.get(role)
            if child is None or not child.running:
                continue
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log.warning("%s did not stop within %.0f s; killing it", role, STOP_TIMEOUT)
                child.process.kill()
                await child.process.wait()
            child.exited_at = time.time()
            self.shutdown_order.append(role)
            await asyncio.sleep(STOP_GAP_SECONDS)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return self.shutdown_order

    def pids(self) -> dict[str, int]:
        return {role: c.process.pid for role, c in self.children.items() if c.running and c.process}
