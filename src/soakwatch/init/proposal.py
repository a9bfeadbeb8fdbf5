"""Everything init found, decided into one proposal: the config's sections and where each figure comes from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from soakwatch.init.files import FilesSeen, JsonlFile, Manifest, SqliteTable
from soakwatch.init.grouping import Group
from soakwatch.init.httpfind import HttpHealth
from soakwatch.init.natsfind import NatsSeen
from soakwatch.init.scope import ScopeProposal
from soakwatch.init.shapes import recognise
from soakwatch.init.subjects import Stream

SINK_COLUMNS = ("ts", "confirm", "strong")  # what the sink readers count (no mapping for sinks)


@dataclass
class Proposal:
    nats_url: str | None
    groups: list[Group] = field(default_factory=list)
    scope: ScopeProposal = field(default_factory=ScopeProposal)
    streams: list[Stream] = field(default_factory=list)
    http: list[HttpHealth] = field(default_factory=list)
    jsonl: JsonlFile | None = None
    sqlite: SqliteTable | None = None
    manifest: Manifest | None = None
    nats: NatsSeen | None = None
    files: FilesSeen | None = None
    notes: list[str] = field(default_factory=list)

    def stream(self, kind: str) -> Stream | None:
        return next((s for s in self.streams if s.kind == kind), None)

    @property
    def ticks(self) -> Stream | None:
        return self.stream("tick")

    @property
    def health_source(self) -> str | None:
        """heartbeats (a NATS subject), http, liveness (processes only) or None (nothing to check)."""
        if self.stream("health"):
            return "heartbeats"
        if self.http:
            return "http"
        return "liveness" if self.groups else None

    @property
    def signals_source(self) -> str | None:
        if self.stream("signals"):
            return "nats"
        return "jsonl" if self.jsonl else None

    @property
    def harvester_source(self) -> str | None:
        if self.stream("harvester"):
            return "nats"
        return "manifest" if self.manifest and "harvester_metrics" in self.manifest.sections else None

    @property
    def exports_source(self) -> str | None:
        if self.stream("exports"):
            return "nats"
        return "manifest" if self.manifest and "timeseries_export" in self.manifest.sections else None

    @property
    def sinks(self) -> bool:
        return bool(self.jsonl or self.sqlite)

    @property
    def parity(self) -> bool:
        return bool(self.jsonl and self.sqlite)

    @property
    def empty(self) -> bool:
        """Nothing runs: no process of a pipeline and no traffic on NATS (files of an old run do not count)."""
        return not (self.groups or self.streams)


def signal_jsonl(files: Sequence[JsonlFile], live: set[Path]) -> JsonlFile | None:
    """The JSONL file being written whose records are signals with the sink's fields (``ts``, ``confirm``,
    ``strong``), or signals under other names."""
    files = [f for f in files if f.path in live]
    for item in files:
        if item.samples and all(all(k in s for k in SINK_COLUMNS) for s in item.samples):
            return item
    return next((f for f in files if f.samples and (shape := recognise(f.samples)) and shape.kind == "signals"),
                None)


def signal_table(tables: Sequence[SqliteTable], live: set[Path]) -> SqliteTable | None:
    """The SQLite table being written holding the sink's columns, a table named ``signals`` first."""
    fits = [t for t in tables if t.path in live and all(c in t.columns for c in SINK_COLUMNS)]
    return min(fits, key=lambda t: (t.table != "signals", str(t.path)), default=None)


def newest_manifest(manifests: Sequence[Manifest]) -> Manifest | None:
    def mtime(m: Manifest) -> float:
        try:
            return m.path.stat().st_mtime
        except OSError:
            return 0.0
    return max(manifests, key=mtime, default=None)
