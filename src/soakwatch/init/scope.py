"""The run scoping to propose: an environment variable all the pipeline's processes share, or their common
parent (by its pidfile where one is found)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from soakwatch.init.grouping import Group

_RUN_NAME = re.compile(r"RUN", re.IGNORECASE)


@dataclass(frozen=True)
class ScopeProposal:
    env: tuple[str, str] | None = None
    parent_pid: int | None = None
    parent_pidfile: Path | None = None

    def __bool__(self) -> bool:
        return any((self.env, self.parent_pid, self.parent_pidfile))


def shared_env(groups: Sequence[Group], own: Mapping[str, str]) -> tuple[str, str] | None:
    """A variable with ``RUN`` in its name set to one value in every process, not inherited from init's own
    environment (so it names this run, not the host)."""
    envs = [p.environ for g in groups for p in g.procs]
    if not envs or any(e is None for e in envs):
        return None
    common = {k: v for k, v in envs[0].items() if v and all(e.get(k) == v for e in envs[1:])}  # type: ignore[union-attr]
    names = sorted((k for k in common if _RUN_NAME.search(k) and own.get(k) != common[k]),
                   key=lambda k: (not k.upper().endswith("RUN_ID"), k))
    return (names[0], common[names[0]]) if names else None


def common_parent(groups: Sequence[Group], excluded: set[int]) -> int | None:
    """The parent every logical process's oldest instance shares, unless it is pid 1 or above init itself."""
    parents = {g.leader.ppid for g in groups}
    if len(parents) != 1:
        return None
    parent = parents.pop()
    return parent if parent > 1 and parent not in excluded else None


def propose(groups: Sequence[Group], pidfiles: Mapping[Path, int], own_env: Mapping[str, str],
            excluded: set[int]) -> ScopeProposal:
    parent = common_parent(groups, excluded) if groups else None
    pidfile = next((path for path, pid in sorted(pidfiles.items()) if parent and pid == parent), None)
    return ScopeProposal(env=shared_env(groups, own_env), parent_pid=parent, parent_pidfile=pidfile)
