"""The exporter's state file: whole-run totals kept across an exporter restart, restored for the same run only."""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.payload import MAX_COUNTER

log = logging.getLogger("soakwatch.exporter")
COLLECTOR = "state"
REASONS = ("state_unreadable", "state_corrupt", "state_write_failed")
VERSION = 1


class Persistent(Protocol):
    """A collector whose cumulative figures survive an exporter restart."""

    def state(self) -> Any: ...

    def restore(self, saved: Any) -> None: ...


class StateCorrupt(ValueError):
    """The state file is not one this exporter wrote."""


def check_numbers(node: Any, where: str = "") -> None:
    """Every number in the tree is finite, >= 0 and below MAX_COUNTER, else StateCorrupt."""
    if isinstance(node, dict):
        for key, value in node.items():
            check_numbers(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_numbers(value, f"{where}[{i}]")
    elif isinstance(node, int | float) and not isinstance(node, bool) and not (
            math.isfinite(node) and 0 <= node < MAX_COUNTER):
        raise StateCorrupt(f"{where} = {node!r} is not a count")


class StateFile:
    """``load()`` once at start restores the parts; ``save()`` writes them (tmp + rename) when they changed.

    The file carries the run id it was written for; a file of another run (or with no run id on either
    side) is never restored, so one run's totals never leak into another's.
    """

    def __init__(self, path: Path, run_id: str | None, parts: Mapping[str, Persistent], errors: ErrorCounter,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self._parts = parts
        self._errors = errors
        self._clock = clock
        self._written: Any = None
        self._lock = threading.Lock()
        errors.declare(COLLECTOR, REASONS)

    def load(self) -> bool:
        """Restore the parts from the file; True when restored. Never raises."""
        data = self._read()
        if data is None:
            return False
        if self.run_id is None or data.get("run_id") != self.run_id:
            log.warning("soak exporter: state file %s is for run %r, this is run %r: not restored, totals "
                        "start at 0", self.path, data.get("run_id"), self.run_id)
            return False
        try:
            for name, part in self._parts.items():
                if name in data["parts"]:
                    part.restore(data["parts"][name])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._corrupt(f"{type(exc).__name__}: {exc}")
            return False
        log.info("soak exporter: restored run %s totals from %s", self.run_id, self.path)
        return True

    def _read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._errors.count(COLLECTOR, "state_unreadable", f"{self.path}: {exc.strerror}")
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("parts"), dict):
                raise StateCorrupt("not a soak exporter state file of version 1")
            check_numbers(data["parts"])
        except ValueError as exc:
            self._corrupt(str(exc)[:120])
            return None
        return data

    def _corrupt(self, detail: str) -> None:
        self._errors.count(COLLECTOR, "state_corrupt", f"{self.path}: {detail}; totals start at 0")

    def save(self) -> bool:
        """Write the parts when they changed since the last write; True when written. Never raises."""
        with self._lock:
            parts = {name: part.state() for name, part in self._parts.items()}
            if parts == self._written:
                return False
            body = {"version": VERSION, "run_id": self.run_id, "saved_at": self._clock(), "parts": parts}
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps(body, sort_keys=True))
                os.replace(tmp, self.path)
            except OSError as exc:
                self._errors.count(COLLECTOR, "state_write_failed", f"{self.path}: {exc.strerror}")
                return False
            self._written = parts
            return True
