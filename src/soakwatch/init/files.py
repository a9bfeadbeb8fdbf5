"""Sinks and run manifests under the folders given with --dir: JSONL files, SQLite tables and their columns,
run manifests and pidfiles. Read only: SQLite is opened immutable, nothing is created or locked."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FILES = 5000
MAX_DEPTH = 6
SAMPLE_LINES = 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
_JSONL = (".jsonl", ".ndjson", ".jsonlines")


@dataclass
class JsonlFile:
    path: Path
    samples: list[dict[str, Any]]


@dataclass
class SqliteTable:
    path: Path
    table: str
    columns: tuple[str, ...]
    rows: int | None


@dataclass
class Manifest:
    path: Path
    pattern: str  # a glob that also finds the next run's manifest
    sections: tuple[str, ...]  # which of the run manifest's sections it holds


@dataclass
class FilesSeen:
    jsonl: list[JsonlFile] = field(default_factory=list)
    sqlite: list[SqliteTable] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    pidfiles: dict[Path, int] = field(default_factory=dict)
    truncated: bool = False
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)  # sinks: (mtime_ns, size) when scanned


def stamp(path: Path) -> tuple[int, int]:
    """(mtime_ns, size) of a file and its SQLite write-ahead log together; (0, 0) when gone."""
    total = (0, 0)
    for item in (path, Path(f"{path}-wal")):
        try:
            st = item.stat()
        except OSError:
            continue
        total = (max(total[0], st.st_mtime_ns), total[1] + st.st_size)
    return total


def live(seen: FilesSeen, held: set[str]) -> set[Path]:
    """Sinks being written: held open by a pipeline process, or changed since the scan."""
    return {p for p, before in seen.stamps.items() if str(p) in held or stamp(p) != before}


def walk(dirs: Iterable[Path]) -> tuple[list[Path], bool]:
    """Regular files under ``dirs`` (depth and count bounded); True when the bound cut the walk short."""
    found: list[Path] = []
    for root in dirs:
        base = len(root.resolve().parts)
        for top, subdirs, names in os.walk(root.resolve()):
            if len(Path(top).parts) - base >= MAX_DEPTH:
                subdirs[:] = []
            subdirs.sort()
            for name in sorted(names):
                path = Path(top) / name
                if path.is_file() and not path.is_symlink():
                    found.append(path)
                    if len(found) >= MAX_FILES:
                        return found, True
    return found, False


def scan(dirs: Iterable[Path]) -> FilesSeen:
    """Classify the files under ``dirs``."""
    paths, truncated = walk(dirs)
    seen = FilesSeen(truncated=truncated)
    for path in paths:
        if path.suffix in _JSONL:
            seen.stamps[path] = stamp(path)
            seen.jsonl.append(JsonlFile(path, jsonl_samples(path)))
        elif path.suffix == ".pid":
            pid = _pid(path)
            if pid:
                seen.pidfiles[path] = pid
        elif path.suffix == ".json" and "manifest" in path.name:
            manifest = read_manifest(path)
            if manifest:
                seen.manifests.append(manifest)
        elif _is_sqlite(path):
            seen.stamps[path] = stamp(path)
            seen.sqlite += sqlite_tables(path)
    return seen


def jsonl_samples(path: Path) -> list[dict[str, Any]]:
    """The JSON objects among the first lines of a JSONL file (a half-written last line is skipped)."""
    out = []
    try:
        with path.open("rb") as handle:
            for _, line in zip(range(SAMPLE_LINES), handle, strict=False):
                try:
                    body = json.loads(line)
                except ValueError:
                    continue
                if isinstance(body, dict):
                    out.append(body)
    except OSError:
        pass
    return out


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def sqlite_tables(path: Path) -> list[SqliteTable]:
    """Tables and columns of an SQLite file, opened immutable (no lock, no journal, no -shm file)."""
    try:
        db = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    except sqlite3.Error:
        return []
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        tables = []
        for name in names:
            if name.startswith("sqlite_"):
                continue
            quoted = '"' + name.replace('"', '""') + '"'
            columns = tuple(r[1] for r in db.execute(f"PRAGMA table_info({quoted})"))
            rows = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
            tables.append(SqliteTable(path, name, columns, rows))
        return tables
    except sqlite3.Error:
        return []
    finally:
        db.close()


_MANIFEST_SECTIONS = ("status", "harvester_metrics", "timeseries_export", "resource_usage", "shutdown_order")


def read_manifest(path: Path) -> Manifest | None:
    """A run manifest: a JSON object with at least one of the orchestrator manifest's sections."""
    try:
        body = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    sections = tuple(s for s in _MANIFEST_SECTIONS if isinstance(body.get(s), dict | list))
    return Manifest(path, manifest_glob(path), sections) if sections else None


def manifest_glob(path: Path) -> str:
    """``run_manifest_<anything>.json`` -> ``run_manifest_*.json`` in the same folder."""
    stem = re.sub(r"(manifest)[^/]*$", r"\1*", path.stem)
    return str(path.parent / f"{stem}{path.suffix}")


def _pid(path: Path) -> int | None:
    try:
        text = path.read_text(errors="replace")[:32].strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None
