"""One demo run: ticks, the supervised pipeline, the fault schedule, the manifest and the graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from nats.aio.client import Client

from soakwatch.contract import PROCESSES
from soakwatch.demo import connection, manifest
from soakwatch.demo.abort import LiveAbort
from soakwatch.demo.control import active_flag, control_message, control_subject
from soakwatch.demo.faults import Fault
from soakwatch.demo.manifest import RunInfo
from soakwatch.demo.observer import Observer
from soakwatch.demo.progress import Progress
from soakwatch.demo.sink import sink_paths
from soakwatch.demo.supervisor import Supervisor
from soakwatch.demo.ticks import TickPublisher
from soakwatch.errors import SoakwatchError

READY_TIMEOUT = 30.0
MANIFEST_EVERY = 5.0
PIDFILE_NAME = "supervisor.pid"


class PipelineStartError(SoakwatchError):
    """The demo's processes did not all report healthy in time."""


@dataclass(frozen=True)
class DemoSettings:
    """Everything a run needs besides the NATS connection options."""

    run_id: str
    demo_dir: Path
    minutes: float
    rate: float
    symbols: tuple[str, ...]
    faults: tuple[Fault, ...]
    nats_url: str
    timeseries: dict[str, str]
    worker_args: tuple[str, ...]  # interval and size flags passed to every worker
    warmup: float = 0.0  # seconds the ticks flow after the pipeline is up, before the run starts

    @property
    def seconds(self) -> float:
        return self.minutes * 60.0


class DemoRun:
    """``await run()`` returns the final manifest; ``stop()`` (SIGINT/SIGTERM) ends it early and gracefully."""

    def __init__(self, settings: DemoSettings, connect: dict[str, Any], env: dict[str, str],
                 progress: Progress, watcher: LiveAbort | None = None) -> None:
        self.s, self._connect, self.progress, self.watcher = settings, connect, progress, watcher
        self.info = RunInfo(settings.run_id, time.time(), settings.minutes, settings.rate,
                            list(settings.symbols), settings.nats_url, settings.timeseries, list(settings.faults))
        self.observer = Observer()
        self.supervisor = Supervisor(self._argv, env, settings.demo_dir / "logs")
        self.active: dict[str, dict[str, float | None]] = {role: {} for role in PROCESSES}
        self._stop = asyncio.Event()
        self.stopped_by: int | None = None  # the signal that cut the run short
        self.aborted: str | None = None  # why the live verdict stopped the run (--abort-on-fail)
        self._nc: Client | None = None
        self._ticks: TickPublisher | None = None

    @property
    def manifest_path(self) -> Path:
        return self.s.demo_dir / manifest.MANIFEST_NAME

    def _argv(self, role: str) -> list[str]:
        active = [item for kind, value in self.active[role].items() for item in ("--active", active_flag(kind, value))]
        return [sys.executable, "-m", "soakwatch.demo.worker", role, "--state-dir", str(self.s.demo_dir),
                "--nats-url", self.s.nats_url, *self.s.worker_args, *active]

    @property
    def pidfile(self) -> Path:
        """The supervisor's pid while the run is on: the exporter's demo config scopes its processes by it."""
        return self.s.demo_dir / PIDFILE_NAME

    def stop(self, signum: int | None = None) -> None:
        if signum is not None and self.stopped_by is None:
            self.stopped_by = signum
        self._stop.set()

    def abort(self, reason: str) -> None:
        """Stop in order because the live verdict decided a criterion failed (``--abort-on-fail``)."""
        if self.aborted is None:
            self.aborted = reason
            self.progress.note(f"demo: live verdict: {reason}; stopping in order")
        self._stop.set()

    def write_manifest(self) -> dict[str, Any]:
        data = manifest.build(self.info, self.supervisor, self.observer)
        manifest.write(self.manifest_path, data)
        return data

    async def run(self) -> dict[str, Any]:
        self._nc = await connection.connect(self._connect, "demo-orchestrator")
        try:
            claim_pidfile(self.pidfile)
        except BaseException:
            await self._nc.close()
            raise
        try:
            self._fresh_sinks()
            await self.observer.subscribe(self._nc)
            self.write_manifest()
            self._ticks = TickPublisher(self._nc, self.s.rate, self.s.symbols)
            ticks = asyncio.create_task(self._ticks.run())
            try:
                await self.supervisor.start()
                await self._wait_ready()
                await self._warm_up()
                await self._main_loop()
            finally:
                await self._shutdown(ticks)
        finally:
            if self.watcher is not None:
                self.watcher.close()
            await self._nc.close()
            self.pidfile.unlink(missing_ok=True)
        return self.write_manifest()

    def _fresh_sinks(self) -> None:
        """Each run starts with empty sinks, so parity is that of this run."""
        self.s.demo_dir.mkdir(parents=True, exist_ok=True)
        for path in sink_paths(self.s.demo_dir):
            path.unlink(missing_ok=True)

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.observer.ready(PROCESSES):
            if self._stop.is_set():
                return
            if time.monotonic() > deadline:
                missing = [r for r in PROCESSES if not self.observer.heartbeats.get(r)]
                raise PipelineStartError(f"demo: no heartbeat from {', '.join(missing)} within "
                                         f"{READY_TIMEOUT:.0f} s; see {self.s.demo_dir / 'logs'}")
            await asyncio.sleep(0.05)
        self.info.state = "warming_up"
        self.progress.note(f"demo: pipeline up (harvest, signal, broker, report); warm-up {self.s.warmup:g} s")

    async def _warm_up(self) -> None:
        """The ticks flow ``warmup`` s before the run (its length, faults and window) starts, so the memory
        the processes take while they start up is not judged as growth."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), self.s.warmup)
        if not self._stop.is_set():
            self.info.state, self.info.window_start = "running", time.time()
            self.progress.note(f"demo: running {self.s.minutes:g} min")
            if self.watcher is not None:
                loop = asyncio.get_running_loop()

                def on_fail(reason: str) -> None:  # from the watcher's thread
                    loop.call_soon_threadsafe(self.abort, reason)

                self.watcher.start(self.info.window_start, on_fail)

    async def _main_loop(self) -> None:
        assert self._ticks is not None
        start = time.monotonic()
        schedule = asyncio.create_task(self._schedule(start))
        next_manifest = 0.0
        try:
            while not self._stop.is_set() and (elapsed := time.monotonic() - start) < self.s.seconds:
                self.observer.sample(self.supervisor.pids())
                if elapsed >= next_manifest:
                    self.write_manifest()
                    next_manifest = elapsed + MANIFEST_EVERY
                restarts = sum(c.restart_count for c in self.supervisor.children.values())
                applied = [a["spec"] for a in self.info.applied]
                self.progress.update(elapsed, self._ticks.stats.sent, applied, restarts)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)
        finally:
            schedule.cancel()
            self.progress.done()

    async def _schedule(self, start: float) -> None:
        events = sorted([(f.start, True, f) for f in self.s.faults]
                        + [(f.end, False, f) for f in self.s.faults if f.duration and f.kind != "kill"],
                        key=lambda e: (e[0], e[1]))
        for at, begin, fault in events:
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            await self._apply(fault, begin)

    async def _apply(self, fault: Fault, begin: bool) -> None:
        assert self._nc is not None and self._ticks is not None
        now = time.time()
        if begin:
            self.info.applied.append({"spec": fault.spec, "applied_at": now, "ended_at": None})
        else:
            for entry in self.info.applied:
                if entry["spec"] == fault.spec:
                    entry["ended_at"] = now
        if fault.kind == "kill":
            pid = self.supervisor.kill(fault.role, hold=fault.duration)
            done = f"killed {fault.role} (pid {pid})" if pid else f"{fault.role} was not running, nothing killed"
            self.progress.note(f"demo: fault {fault.spec}: {done}")
            return
        self.progress.note(f"demo: fault {fault.spec} {'on' if begin else 'off'}")
        if fault.role == "ticks":
            self._apply_ticks(fault, begin)
            return
        kind = f"{fault.kind}-{fault.target}" if fault.kind == "slow" else fault.kind
        if fault.duration:
            if begin:
                self.active[fault.role][kind] = fault.value
            else:
                self.active[fault.role].pop(kind, None)
        await self._nc.publish(control_subject(fault.role), control_message(kind, begin, fault.value))

    def _apply_ticks(self, fault: Fault, begin: bool) -> None:
        assert self._ticks is not None
        if fault.kind == "corrupt":
            self._ticks.corrupt = (fault.value or 0.0) if begin else 0.0
        elif fault.kind == "lag":
            self._ticks.lag_ns = int((fault.value or 0.0) * 1e9) if begin else 0
        elif fault.kind == "rate":
            self._ticks.set_rate(fault.value if begin and fault.value else self.s.rate)

    async def _shutdown(self, ticks: asyncio.Task[Any]) -> None:
        """Report, broker, signal, harvest; then the ticks stop. The window ends when all are down."""
        self.info.state = "stopping"
        order = await self.supervisor.shutdown()
        assert self._ticks is not None
        self._ticks.stop()
        with contextlib.suppress(Exception):
            await ticks
        self.info.window_end = time.time()
        if self.aborted is not None:
            self.info.state = "aborted"
        elif self._stop.is_set():
            self.info.state = "interrupted"
        else:
            self.info.state = "failed" if self.info.window_start is None else "finished"
        self.progress.note(f"demo: stopped in order {' -> '.join(order) or '(nothing was running)'}")


def claim_pidfile(path: Path) -> None:
    """Write this process's pid; PipelineStartError when the file names another live demo."""
    try:
        other = int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        other = 0
    if other and other != os.getpid() and psutil.pid_exists(other) and _is_demo(other):
        raise PipelineStartError(f"demo: a demo (pid {other}) already runs from {path.parent}; "
                                 "give this one its own --state-dir")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()}\n")
    os.replace(tmp, path)


def _is_demo(pid: int) -> bool:
    try:
        return "demo" in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False
