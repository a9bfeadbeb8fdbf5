"""Poll the SQLite signal sink read-only by rowid: never writes, never waits on the writer, works with WAL."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.sinks.record import SinkRecord, epoch_seconds

COLLECTOR = "sinks"


BEFORE_FIRST_ID = -(1 << 63)  # below every SQLite integer id but the very smallest: ids 0 and below count too


class SqlitePoller:
    """Each ``poll()`` returns the rows with ``id`` above the last one seen, in batches.

    Opened with ``mode=ro`` (a missing file is never created) and a short busy timeout; every read is
    one short statement, so no read transaction stays open between polls. A locked database is counted
    and retried at the next poll; a recreated file or table starts again from its first id.
    """

    def __init__(self, path: Path, errors: ErrorCounter, table: str = "signals", batch: int = 10000,
                 max_batches: int = 20, busy_timeout: float = 0.05) -> None:
        self.path = Path(path)
        self._errors = errors
        self._query = f"SELECT id, ts, confirm, strong FROM {table} WHERE id > ? ORDER BY id LIMIT ?"
        self._max_id = f"SELECT max(id) FROM {table}"
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
            self._check_reset(conn)
            for _ in range(self._max_batches):
                rows = conn.execute(self._query, (self._last_id, self._batch)).fetchall()
                records.extend(_record(row) for row in rows)
                if rows:
                    self._last_id = rows[-1][0]
                if len(rows) < self._batch:
                    break
        except sqlite3.Error as exc:
            self._errors.count(COLLECTOR, _reason(exc), str(exc))
            self.close()
        return records

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


def _record(row: tuple[int, object, object, object]) -> SinkRecord:
    _, ts, confirm, strong = row
    return SinkRecord(epoch_seconds(ts), bool(confirm), bool(strong))


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "sqlite_locked"
    if "no such table" in text or "no such column" in text:
        return "sqlite_no_table"
    if "not a database" in text or "malformed" in text:
        return "sqlite_corrupt"
    return "sqlite_error"
