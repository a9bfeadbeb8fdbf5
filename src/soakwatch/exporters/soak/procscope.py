"""Which OS processes belong to one run: an environment variable, a pidfile, or descendants of a parent."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

PROCESS_PLACEHOLDER = "{process}"
MAX_DEPTH = 64  # parent links followed before giving up (a loop or a very deep tree)
PIDFILE_SLACK_SECONDS = 1.0  # psutil's start time may be up to 1 s late against the pidfile's mtime
_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)


@dataclass(frozen=True)
class ProcessScope:
    """Every condition that is set must hold for a process to be in scope.

    ``env``: NAME=VALUE in the process's environment; ``pidfile``: a file holding the process's own pid
    (``{process}`` in the path is the logical process name); ``parent_pid`` / ``parent_pidfile``: the
    process descends from that parent (the orchestrator).
    """

    env: tuple[str, str] | None = None
    pidfile: str | None = None
    parent_pid: int | None = None
    parent_pidfile: str | None = None


class PidfileError(ValueError):
    """A pidfile that exists but does not hold a pid."""


def read_pidfile(path: str, start_times: Mapping[int, float]) -> int | None:
    """The live pid a pidfile names; None when the file is missing or the pid is gone or newer than the file
    (a reused pid of a stale pidfile). ``start_times`` are the wall-clock start times of live processes."""
    try:
        stat = os.stat(path)
        with open(path) as handle:
            text = handle.read(64).strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PidfileError(f"{path}: {exc.strerror}") from None
    if not text.isdigit() or int(text) <= 0:
        raise PidfileError(f"{path}: holds {text[:20]!r}, not a pid")
    pid = int(text)
    started = start_times.get(pid)
    if started is None or started > stat.st_mtime + PIDFILE_SLACK_SECONDS:
        return None
    return pid


def descends(pid: int, parent: int, parents: Mapping[int, int]) -> bool:
    """True when ``parent`` is an ancestor of ``pid`` in the ``pid -> ppid`` table."""
    for _ in range(MAX_DEPTH):
        pid = parents.get(pid, 0)
        if pid == parent:
            return True
        if pid <= 1:
            return False
    return False


def environ(proc: psutil.Process) -> dict[str, str] | None:
    """Another process's environment (readable by root or the same user); None when it cannot be read."""
    try:
        return dict(proc.environ())
    except _GONE:
        return None
