"""The run scoping to propose: an environment variable all the pipeline's processes share, or their common
parent (by its pidfile where one is found)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from soakwatch.init.grouping import Group
from soakwatch.init.procs import Proc

_RUN_NAME = re.compile(r"RUN", re.IGNORECASE)


@dataclass(frozen=True)
class ScopeProposal:
    env: tuple[str, str] | None = None
    parent_pid: int | None = None
    parent_pidfile: Path | None = None
    runs: tuple[str, ...] = ()  # values of the env marker seen (more than one: several runs on this host)

    def __bool__(self) -> bool:
        return any((self.env, self.parent_pid, self.parent_pidfile))


def run_marker(procs: Sequence[Proc], own: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]] | None:
    """A variable with ``RUN`` in its name that every process has, not inherited from init's own environment
    (so it names a run, not the host): (name, the newest process's value, every value seen)."""
    envs = [p.environ for p in procs]
    if not envs or any(e is None for e in envs):
        return None
    names = sorted((k for k in envs[0] if _RUN_NAME.search(k)  # type: ignore[union-attr]
                    and all(e.get(k) and e.get(k) != own.get(k) for e in envs)),  # type: ignore[union-attr]
                   key=lambda k: (not k.upper().endswith("RUN_ID"), k))
    if not names:
        return None
    newest = max(procs, key=lambda p: (p.create_time, p.pid))
    values = tuple(dict.fromkeys(e[names[0]] for e in envs))  # type: ignore[index]
    return names[0], newest.environ[names[0]], values  # type: ignore[index]


def common_parent(procs: Sequence[Proc], excluded: set[int]) -> int | None:
    """The parent all ``procs`` share, unless it is pid 1 or above init itself."""
    parents = {p.ppid for p in procs}
    if len(parents) != 1:
        return None
    parent = parents.pop()
    return parent if parent > 1 and parent not in excluded else None


def propose(groups: Sequence[Group], pidfiles: Mapping[Path, int], own_env: Mapping[str, str],
            excluded: set[int]) -> ScopeProposal:
    """The env marker of the newest run (when there is one) and that run's common parent and its pidfile."""
    procs = [p for g in groups for p in g.procs]
    marker = run_marker(procs, own_env)
    if marker:
        procs = [p for p in procs if p.environ and p.environ.get(marker[0]) == marker[1]]
    parent = common_parent(procs, excluded) if procs else None
    pidfile = next((path for path, pid in sorted(pidfiles.items()) if parent and pid == parent), None)
    return ScopeProposal(env=marker[:2] if marker else None, parent_pid=parent, parent_pidfile=pidfile,
                         runs=marker[2] if marker else ())
