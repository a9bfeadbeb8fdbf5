"""Find the OS process of each logical process with psutil, as process-exporter matches them, within a run's scope."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import psutil

from soakwatch.exporters.soak.config import ProcessMatch
from soakwatch.exporters.soak.procscope import (
    PROCESS_PLACEHOLDER,
    PidfileError,
    ProcessScope,
    descends,
    environ,
    read_pidfile,
)
from soakwatch.runid import RUN_ID_ENV

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


@dataclass(frozen=True)
class Candidate:
    """A live process whose name and command line match a logical process."""

    proc: psutil.Process
    create_time: float
    ppid: int

    @property
    def pid(self) -> int:
        return self.proc.pid


@dataclass
class ScanResult:
    """The chosen OS process of each logical process; the logical processes several runs matched (not chosen:
    logical process -> what matched); problems for ``soak_exporter_errors_total{collector="processes"}``."""

    found: dict[str, Snapshot] = field(default_factory=dict)
    ambiguous: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Table:
    candidates: dict[str, list[Candidate]]
    parents: dict[int, int]  # pid -> ppid of every live process
    starts: dict[int, float]  # pid -> wall-clock start time of every live process


def scan(matchers: Mapping[str, ProcessMatch], scope: ProcessScope | None = None) -> ScanResult:
    """The oldest live (non-zombie) match in scope of each logical process; this process never matches.

    Without a scope, a logical process whose matches belong to more than one run is ambiguous: reported, not
    chosen. The environment is read only of processes that matched a pattern.
    """
    result = ScanResult()
    if scope is not None and scope.parent_pidfile and not os.path.exists(scope.parent_pidfile):
        return result  # no parent yet (or any more): nothing is in scope, and nothing to read
    offset = boot_time_offset()
    table = _table(matchers, offset)
    for name, found in table.candidates.items():
        if scope is not None:
            found = _in_scope(scope, name, found, table, result.problems)
        elif (runs := _runs(found, table.parents)) is not None:
            result.ambiguous[name] = runs
            continue
        oldest = min(found, key=lambda c: c.create_time, default=None)
        if oldest is not None and (snap := snapshot(oldest.proc, offset)) is not None:
            result.found[name] = snap
    return result


def _table(matchers: Mapping[str, ProcessMatch], offset: float) -> _Table:
    table = _Table({name: [] for name in matchers}, {}, {})
    own = os.getpid()
    for proc in psutil.process_iter(["name", "cmdline", "create_time", "status", "ppid"]):
        info = proc.info
        if info["status"] == psutil.STATUS_ZOMBIE or info["create_time"] is None:
            continue
        table.parents[proc.pid], table.starts[proc.pid] = info["ppid"] or 0, info["create_time"] + offset
        if proc.pid == own:
            continue
        cmdline = " ".join(info["cmdline"] or ())
        for name, match in matchers.items():
            if matches(match, info["name"] or "", cmdline):
                table.candidates[name].append(Candidate(proc, info["create_time"], info["ppid"] or 0))
    return table


def _in_scope(scope: ProcessScope, name: str, found: list[Candidate], table: _Table,
              problems: list[tuple[str, str]]) -> list[Candidate]:
    if scope.parent_pid is not None or scope.parent_pidfile is not None:
        parent = scope.parent_pid or _pidfile(scope.parent_pidfile, table, problems)
        found = [c for c in found if parent is not None and descends(c.pid, parent, table.parents)]
    if scope.pidfile is not None and found:
        own = _pidfile(scope.pidfile.replace(PROCESS_PLACEHOLDER, name), table, problems)
        found = [c for c in found if c.pid == own]
    if scope.env is not None and found:
        found = [c for c in found if _has_env(c, scope.env, problems)]
    return found


def _pidfile(path: str | None, table: _Table, problems: list[tuple[str, str]]) -> int | None:
    try:
        return read_pidfile(path, table.starts) if path else None
    except PidfileError as exc:
        problems.append(("pidfile_invalid", str(exc)))
        return None


def _has_env(candidate: Candidate, pair: tuple[str, str], problems: list[tuple[str, str]]) -> bool:
    env = environ(candidate.proc)
    if env is None:
        problems.append(("environ_unreadable", f"pid {candidate.pid}: run the exporter as root or as its user"))
        return False
    return env.get(pair[0]) == pair[1]


def _runs(found: list[Candidate], parents: Mapping[int, int]) -> str | None:
    """None when the matches are one run; else which runs matched. Matches are one run when each descends from
    another match, or the topmost ones have the same SOAK_RUN_ID, or (without one) the same parent."""
    pids = {c.pid for c in found}
    tops = [c for c in found if not any(descends(c.pid, other, parents) for other in pids - {c.pid})]
    if len(tops) < 2:
        return None
    runs = {c.pid: _run_of(c) for c in tops}
    if len(set(runs.values())) < 2:
        return None
    return f"{len(set(runs.values()))} runs match: " + ", ".join(f"pid {pid} ({run})" for pid, run in
                                                                   sorted(runs.items()))


def _run_of(candidate: Candidate) -> str:
    run_id = (environ(candidate.proc) or {}).get(RUN_ID_ENV)
    return f"{RUN_ID_ENV}={run_id}" if run_id else f"parent {candidate.ppid}"


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


def resnapshot(pid: int, create_time: float) -> Snapshot | None:
    """A fresh snapshot of that very process (not a reused pid), without a scan; None when it is gone."""
    try:
        proc = psutil.Process(pid)
        if proc.create_time() != create_time:
            return None
    except _GONE:
        return None
    return snapshot(proc, boot_time_offset())


def alive(pid: int, create_time: float) -> bool:
    """True while that very process (not a reused pid) runs and is not a zombie."""
    try:
        proc = psutil.Process(pid)
        return proc.create_time() == create_time and proc.status() != psutil.STATUS_ZOMBIE
    except _GONE:
        return False
