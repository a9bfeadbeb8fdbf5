"""Processes grouped by executable and command line, each group named and given a cmdline regex that matches
it and no other process seen."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from soakwatch.init.procs import Proc

INTERPRETERS = re.compile(r"^(python[0-9.]*|pypy[0-9.]*|node|java|ruby|perl|php|deno|bun|dotnet|uv|poetry)$")
_DIGITS = re.compile(r"\d+")
_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Group:
    """One logical process: its proposed name, cmdline regex and the OS processes it matched."""

    name: str
    cmdline: str  # regular expression (re.search on the space-joined command line)
    procs: tuple[Proc, ...]
    collides_with: tuple[str, ...] = ()  # other commands the regex also matches (the user must narrow it)

    @property
    def leader(self) -> Proc:
        return min(self.procs, key=lambda p: (p.create_time, p.pid))


def group_key(proc: Proc) -> tuple[str, ...]:
    """Executable plus command line, digits blanked (worker numbers, ports and pids do not split a group)."""
    return tuple(_DIGITS.sub("#", arg) for arg in proc.cmdline)


def words(proc: Proc) -> list[str]:
    """Command-line words that may name the process: the program (unless an interpreter), then the
    arguments that are not flags, as base names without extension."""
    first = os.path.basename(proc.cmdline[0]) if proc.cmdline else proc.name
    out = [] if INTERPRETERS.match(first) else [first]
    out += [os.path.basename(a.rstrip("/")) for a in proc.cmdline[1:] if a and not a.startswith("-")]
    return [w for w in out if w]


def token_regex(word: str) -> str:
    """A regex for one command-line word: between the start, a space or a slash and a space, a dot or the end."""
    return rf"(^|[\s/]){re.escape(word)}(\s|$)"


def label(word: str) -> str:
    text = _LABEL_BAD.sub("_", word.removesuffix(".py")).strip("_.-") or "process"
    return text[:64]


def group(procs: Sequence[Proc], others: Sequence[Proc] = ()) -> list[Group]:
    """Groups of ``procs`` by :func:`group_key`, each named by its first word no other group shares."""
    by_key: dict[tuple[str, ...], list[Proc]] = {}
    for proc in sorted(procs, key=lambda p: (p.create_time, p.pid)):
        by_key.setdefault(group_key(proc), []).append(proc)
    members = list(by_key.values())
    groups, used = [], set()
    for i, procs_of in enumerate(members):
        rest = [p for j, g in enumerate(members) if j != i for p in g]
        name, regex = _distinct(procs_of[0], rest)
        name = _unique(name, used)
        used.add(name)
        collides = tuple(sorted({p.command[:80] for p in (*rest, *others) if re.search(regex, p.command)}))
        groups.append(Group(name, regex, tuple(procs_of), collides))
    return sorted(groups, key=lambda g: g.name)


def _distinct(proc: Proc, rest: Sequence[Proc]) -> tuple[str, str]:
    others = {w for p in rest for w in words(p)}
    for word in words(proc):
        if word not in others and not _DIGITS.fullmatch(word) and "=" not in word and "://" not in word:
            return label(word), token_regex(word)
    text = " ".join(proc.cmdline[1:]) or proc.cmdline[0]
    return label(words(proc)[-1] if words(proc) else proc.name), re.escape(text)


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    n = 2
    while f"{name}-{n}" in used:
        n += 1
    return f"{name}-{n}"
