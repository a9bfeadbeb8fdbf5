"""Processes grouped by executable and command line, each group named and given a cmdline regex that matches
it and no other process seen."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from soakwatch.init.procs import Proc

INTERPRETERS = re.compile(r"^(python[0-9.]*|pypy[0-9.]*|node|java|ruby|perl|php|deno|bun|dotnet|uv|poetry)$")
_SCRIPT = re.compile(r"/[^/\s]+\.(py|js|mjs|cjs|rb|pl|php|jar|sh)$")
_VALUE = re.compile(r"^\d|[=:/@]|^\W+$")
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


def words(proc: Proc) -> list[str]:
    """Command-line words that may name the process: the program (unless an interpreter), then the
    arguments that are not flags nor values (numbers, URLs, paths, NAME=VALUE), as base names."""
    first = os.path.basename(proc.cmdline[0]) if proc.cmdline else proc.name
    out = [] if INTERPRETERS.match(first) else [first]
    for arg in proc.cmdline[1:]:
        if _SCRIPT.search(arg):
            out.append(os.path.basename(arg))
        elif arg and not arg.startswith("-") and not _VALUE.search(arg):
            out.append(arg)
    return list(dict.fromkeys(w for w in out if w))


def token_regex(word: str) -> str:
    """A regex for one command-line word: between the start, a space or a slash and a space, a dot or the end."""
    return rf"(^|[\s/]){re.escape(word)}(\s|$)"


def label(word: str) -> str:
    text = _LABEL_BAD.sub("_", word.removesuffix(".py")).strip("_.-") or "process"
    return text[:64]


def name_word(proc: Proc, shared: set[str]) -> str | None:
    """The first word of ``proc`` that not every process has (what tells it apart from its siblings)."""
    return next((w for w in words(proc) if w not in shared), None)


def group(procs: Sequence[Proc], others: Sequence[Proc] = ()) -> list[Group]:
    """Groups of ``procs`` by the first command-line word not all of them share (instances and runs of one
    program fall together); a process without such a word is grouped by its whole command line."""
    ordered = sorted(procs, key=lambda p: (p.create_time, p.pid))
    all_words = [set(words(p)) for p in ordered]
    shared = set.intersection(*all_words) if len(all_words) > 1 else set()
    by_word: dict[str, list[Proc]] = {}
    for proc in ordered:
        word = name_word(proc, shared)
        by_word.setdefault(word if word is not None else "\0" + proc.command, []).append(proc)
    groups: list[Group] = []
    used: set[str] = set()
    for word, members in by_word.items():
        if word.startswith("\0"):
            name, regex = label(os.path.basename(members[0].cmdline[0])), re.escape(word[1:])
        else:
            name, regex = label(word), token_regex(word)
        name = _unique(name, used)
        used.add(name)
        rest = [p for p in (*ordered, *others) if p not in members]
        collides = tuple(sorted({p.command[:80] for p in rest if re.search(regex, p.command)}))
        groups.append(Group(name, regex, tuple(members), collides))
    return sorted(groups, key=lambda g: g.name)


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    n = 2
    while f"{name}-{n}" in used:
        n += 1
    return f"{name}-{n}"
