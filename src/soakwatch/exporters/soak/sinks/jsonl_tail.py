"""Tail the JSONL signal sink: partial last line, truncation (copytruncate) and rotation (rename) handled."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

import orjson

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.soak.signals import flag
from soakwatch.exporters.soak.sinks.record import SinkRecord, epoch_seconds, field_label

COLLECTOR = "sinks"
READ_ERRORS = ("jsonl_missing", "jsonl_bad_json", "jsonl_not_object", "jsonl_cut_line")  # of any tail
SINK_ERRORS = (*READ_ERRORS, "jsonl_no_ts", "jsonl_no_field")  # of a tail read as the signal sink
FLAGS = ("confirm", "strong")
_CHUNK = 1 << 20
T = TypeVar("T")


class JsonlTail(Generic[T]):
    """Each ``poll()`` returns the records of the lines completed since the last one.

    A line without its newline waits for the rest. On rotation the old file is read to its end before
    the new one is opened; on truncation reading restarts at 0. Counts already returned are never lost.
    ``convert`` turns each line's JSON object into the record returned (default: a SinkRecord, read through
    ``mapping``, the signals section's field and value mapping); errors are counted under ``collector``.
    """

    def __init__(self, path: Path, errors: ErrorCounter, max_bytes_per_poll: int = 64 << 20,
                 convert: Callable[[dict[str, Any]], T] | None = None, collector: str = COLLECTOR,
                 mapping: FieldMap | None = None) -> None:
        self.path = Path(path)
        self._errors = errors
        self._map = mapping or FieldMap()
        self._convert: Callable[[dict[str, Any]], Any] = convert or self._sink_record
        self._collector = collector
        self._fh: BinaryIO | None = None
        self._inode: int | None = None
        self._partial = b""
        self._missing = False
        self._max_bytes = max_bytes_per_poll
        self._budget_hit = False

    def poll(self) -> list[T]:
        if self._fh is None and not self._open():
            return []
        records = self._drain()
        if self._budget_hit:
            return records  # more to read first; rotation and truncation are checked at the end
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return records  # renamed away, the new file is not there yet: keep the old one open
        assert self._fh is not None
        if st.st_ino != self._inode:
            self._restart("jsonl_rotated")
            if self._open():
                records += self._drain()
        elif st.st_size < self._fh.tell():
            self._restart("jsonl_truncated")
            self._fh.seek(0)
            records += self._drain()
        return records

    def pending(self) -> bytes:
        """The bytes of a line still waiting for its newline."""
        return self._partial

    def _open(self) -> bool:
        try:
            self._fh = open(self.path, "rb")  # noqa: SIM115 - kept open across polls
        except OSError as exc:
            if not self._missing:
                self._errors.count(self._collector, "jsonl_missing", f"{self.path}: {exc.strerror}")
            self._missing = True
            return False
        self._missing = False
        self._inode = os.fstat(self._fh.fileno()).st_ino
        return True

    def _restart(self, why: str) -> None:
        """Drop a cut line left at the end of the old content (counted), and close a rotated file."""
        if self._partial:
            self._errors.count(self._collector, "jsonl_cut_line", why)
            self._partial = b""
        if why == "jsonl_rotated" and self._fh is not None:
            self._fh.close()
            self._fh = None

    def _drain(self) -> list[T]:
        assert self._fh is not None
        records: list[T] = []
        budget = self._max_bytes
        while budget > 0 and (chunk := self._fh.read(min(_CHUNK, budget))):
            budget -= len(chunk)
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            records.extend(r for line in lines if (r := self._parse(line)) is not None)
        self._budget_hit = budget <= 0
        return records

    def _parse(self, line: bytes) -> T | None:
        if not line.strip():
            return None
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError:
            self._errors.count(self._collector, "jsonl_bad_json", line[:60].decode(errors="replace"))
            return None
        if not isinstance(body, dict):
            self._errors.count(self._collector, "jsonl_not_object")
            return None
        return self._convert(body)

    def _sink_record(self, record: dict[str, Any]) -> SinkRecord:
        """A signal in the pipeline's names; a missing ts or flag field is counted (the record still counts)."""
        body = self._map.apply(record)
        ts = epoch_seconds(body.get("ts"))
        if ts is None:
            self._errors.count(self._collector, "jsonl_no_ts", field_label(self._map, "ts"))
        missing = [field_label(self._map, f) for f in FLAGS if f not in body]
        if missing:
            self._errors.count(self._collector, "jsonl_no_field", f"no {', '.join(missing)} in {self.path}")
        return SinkRecord(ts, flag(body.get("confirm")), flag(body.get("strong")))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
