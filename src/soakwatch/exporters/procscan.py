"""Find the OS processes of each logical process with psutil, as process-exporter matches them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

from soakwatch.exporters.config import ProcessMatch

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)


@dataclass(frozen=True)
class Snapshot:
    """One OS process at one sample: identity (pid, create_time) and resources."""

    pid: int
    create_time: float
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
    own = os.getpid()
    for proc in psutil.process_iter(["name", "cmdline", "create_time", "status"]):
        info = proc.info
        if proc.pid == own or info["status"] == psutil.STATUS_ZOMBIE or info["create_time"] is None:
            continue
        cmdline = " ".join(info["cmdline"] or ())
        for name, match in matchers.items():
            if matches(match, info["name"] or "", cmdline) and (
                    name not in found or info["create_time"] < found[name][0]):
                found[name] = (info["create_time"], proc)
    return {name: snap for name, (_, proc) in found.items() if (snap := snapshot(proc)) is not None}


def snapshot(proc: psutil.Process) -> Snapshot | None:
    try:
        with proc.oneshot():
            times = proc.cpu_times()
            return Snapshot(proc.pid, proc.create_time(), proc.memory_info().rss, proc.num_fds(),
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
