"""Poll the SQLite signal sink read-only by rowid: never writes, never waits on the writer, works with WAL."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.soak.sinks.record import SinkRecord, epoch_seconds, field_label

COLLECTOR = "sinks"
READ_ERRORS = ("sqlite_missing", "sqlite_locked", "sqlite_no_table", "sqlite_no_column", "sqlite_corrupt",
               "sqlite_error", "sqlite_reset")
COLUMNS = ("ts", "confirm", "strong")  # contract fields read besides ``id``; their names follow the mapping

BEFORE_FIRST_ID = -(1 << 63)  # below every SQLite integer id but the very smallest: ids 0 and below count too


class SqlitePoller:
    """Each ``poll()`` returns the rows with ``id`` above the last one seen, in batches.

    Opened with ``mode=ro`` (a missing file is never created) and a short busy timeout; every read is
    one short statement, so no read transaction stays open between polls. A locked database is counted
    and retried at the next poll; a recreated file or table starts again from its first id.
    ``mapping`` (the signals section's) names the ts, confirm and strong columns and translates their values;
    a mapped column the table lacks is counted (``sqlite_no_column``) and nothing is read until it is there.
    """

    def __init__(self, path: Path, errors: ErrorCounter, table: str = "signals", batch: int = 10000,
                 max_batches: int = 20, busy_timeout: float = 0.05, mapping: FieldMap | None = None) -> None:
        self.path = Path(path)
        self._errors = errors
        self._map = mapping or FieldMap()
        self._table = table
        columns = ", ".join(quote(self._map.name(c)) for c in COLUMNS)
        self._query = f"SELECT id, {columns} FROM {quote(table)} WHERE id > ? ORDER BY id LIMIT ?"
        self._max_id = f"SELECT max(id) FROM {quote(table)}"
        self.missing: tuple[str, ...] = ()  # contract fields whose column the table lacked at the last check
        self._batch, self._max_batches, self._timeout = batch, max_batches, busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._inode: int | None = None
        self._last_id = BEFORE_FIRST_ID
        self._missing = False

    def poll(self) -> list[SinkRecord]:
        conn = self._connection()
        if conn is None:
            return []
        records: list[SinkRecord] = []
        try:
            if not self._has_columns(conn):
                self.close()  # checked again on the next connection: the table may still be created or altered
                return records
            self._check_reset(conn)
            for _ in range(self._max_batches):
                rows = conn.execute(self._query, (self._last_id, self._batch)).fetchall()
                records.extend(self._record(row) for row in rows)
                if rows:
                    self._last_id = rows[-1][0]
                if len(rows) < self._batch:
                    break
        except sqlite3.Error as exc:
            self._errors.count(COLLECTOR, _reason(exc), str(exc))
            self.close()
        return records

    def _has_columns(self, conn: sqlite3.Connection) -> bool:
        """False (counted, naming the column and its mapping) when the table lacks a column read."""
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({quote(self._table)})")}
        if not present:
            return True  # no such table (yet): the query says so
        self.missing = tuple(c for c in ("id", *COLUMNS) if self._map.name(c) not in present)
        if self.missing:
            self._errors.count(COLLECTOR, "sqlite_no_column", self.describe_missing())
        return not self.missing

    def describe_missing(self) -> str:
        """Which mapped columns the table lacks, and the mapping that names them."""
        columns = ", ".join(field_label(self._map, c) for c in self.missing)
        return f"table {self._table} of {self.path} has no column {columns}"

    def _record(self, row: tuple[int, object, object, object]) -> SinkRecord:
        _, ts, confirm, strong = row
        m = self._map
        return SinkRecord(epoch_seconds(m.value("ts", ts)), bool(m.value("confirm", confirm)),
                          bool(m.value("strong", strong)))

    def _check_reset(self, conn: sqlite3.Connection) -> None:
        (max_id,) = conn.execute(self._max_id).fetchone()
        if (BEFORE_FIRST_ID if max_id is None else max_id) < self._last_id:
            self._errors.count(COLLECTOR, "sqlite_reset", f"max id {max_id} < {self._last_id}")
            self._last_id = BEFORE_FIRST_ID

    def _connection(self) -> sqlite3.Connection | None:
        try:
            inode = os.stat(self.path).st_ino
        except OSError as exc:
            if not self._missing:
                self._errors.count(COLLECTOR, "sqlite_missing", f"{self.path}: {exc.strerror}")
            self._missing = True
            self.close()
            return None
        self._missing = False
        if self._conn is not None and inode != self._inode:
            self.close()
            self._last_id = BEFORE_FIRST_ID
        if self._conn is None:
            try:
                self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self._timeout,
                                             check_same_thread=False)
            except sqlite3.Error as exc:
                self._errors.count(COLLECTOR, _reason(exc), str(exc))
                return None
            self._inode = inode
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def quote(name: str) -> str:
    """An SQL identifier in double quotes (embedded quotes doubled): any column name is read safely."""
    return '"' + name.replace('"', '""') + '"'


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "sqlite_locked"
    if "no such column" in text:
        return "sqlite_no_column"
    if "no such table" in text:
        return "sqlite_no_table"
    if "not a database" in text or "malformed" in text:
        return "sqlite_corrupt"
    return "sqlite_error"
