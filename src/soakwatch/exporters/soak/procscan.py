"""Find the OS processes of each logical process with psutil, as process-exporter matches them."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

from soakwatch.exporters.soak.config import ProcessMatch

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)


@dataclass(frozen=True)
class Snapshot:
    """One OS process at one sample: identity (pid, create_time as psutil reports it), its start time
    on the wall clock, and resources."""

    pid: int
    create_time: float
    start_time: float
    rss: int
    fds: int
    threads: int
    cpu: float


def matches(match: ProcessMatch, name: str, cmdline: str) -> bool:
    """Every regex that is set must ``search`` its field."""
    if match.name is not None and not match.name.search(name):
        return False
    return match.cmdline is None or bool(match.cmdline.search(cmdline))


def scan(matchers: Mapping[str, ProcessMatch]) -> dict[str, Snapshot]:
    """The oldest live (non-zombie) match of each logical process; this process never matches."""
    found: dict[str, tuple[float, psutil.Process]] = {}
    own, offset = os.getpid(), boot_time_offset()
    for proc in psutil.process_iter(["name", "cmdline", "create_time", "status"]):
        info = proc.info
        if proc.pid == own or info["status"] == psutil.STATUS_ZOMBIE or info["create_time"] is None:
            continue
        cmdline = " ".join(info["cmdline"] or ())
        for name, match in matchers.items():
            if matches(match, info["name"] or "", cmdline) and (
                    name not in found or info["create_time"] < found[name][0]):
                found[name] = (info["create_time"], proc)
    return {name: snap for name, (_, proc) in found.items() if (snap := snapshot(proc, offset)) is not None}


def boot_time_offset() -> float:
    """Seconds to add to psutil's create_time to get wall-clock time.

    On Linux psutil adds the start ticks to the boot time of /proc/stat, whole seconds only, so its
    create_time can be up to 1 s off; /proc/uptime gives the boot time to 10 ms.
    """
    try:
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return (time.time() - uptime) - psutil.boot_time()


def snapshot(proc: psutil.Process, offset: float = 0.0) -> Snapshot | None:
    try:
        with proc.oneshot():
            times, created = proc.cpu_times(), proc.create_time()
            return Snapshot(proc.pid, created, created + offset, proc.memory_info().rss, proc.num_fds(),
                            proc.num_threads(), times.user + times.system)
    except _GONE:
        return None


def alive(pid: int, create_time: float) -> bool:
    """True while that very process (not a reused pid) runs and is not a zombie."""
    try:
        proc = psutil.Process(pid)
        return proc.create_time() == create_time and proc.status() != psutil.STATUS_ZOMBIE
    except _GONE:
        return False
