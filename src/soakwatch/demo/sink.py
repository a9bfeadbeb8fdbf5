"""The demo's broker role: every signal into the dual sink, JSONL and SQLite (WAL), each behind a bounded queue."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from pathlib import Path
from typing import Any

import orjson
from nats.aio.msg import Msg

from soakwatch.contract import SIGNAL_SUBJECT
from soakwatch.demo.runtime import Runtime

log = logging.getLogger("soakwatch.demo.sink")
JSONL_NAME, SQLITE_NAME = "signals.jsonl", "signals.sqlite"
SCHEMA = ("CREATE TABLE IF NOT EXISTS signals (id INTEGER PRIMARY KEY, ts REAL, subject TEXT, confirm INTEGER, "
          "strong INTEGER, consistency TEXT, gating TEXT)")
FLUSH_SECONDS = 0.2
Row = tuple[float, str, int, int, str, str | None]


def sink_paths(demo_dir: Path) -> list[Path]:
    """Every file of the dual sink, SQLite's -wal and -shm included."""
    sqlite = demo_dir / SQLITE_NAME
    return [demo_dir / JSONL_NAME, sqlite, sqlite.with_name(SQLITE_NAME + "-wal"),
            sqlite.with_name(SQLITE_NAME + "-shm")]


def to_row(subject: str, body: dict[str, Any]) -> Row:
    ts = body.get("ts")
    gating = body.get("gating")
    return (float(ts) if isinstance(ts, int | float) else 0.0, subject, int(body.get("confirm") is True),
            int(body.get("strong") is True), str(body.get("consistency", "ok")),
            None if gating is None else str(gating))


class _Writer:
    """One sink behind a bounded queue; a full queue drops the record (and the sinks disagree)."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit = name, limit
        self.queue: deque[Row] = deque()
        self.written = self.dropped = 0
        self.delay = 0.0

    def offer(self, row: Row) -> None:
        if len(self.queue) >= self.limit:
            self.dropped += 1
        else:
            self.queue.append(row)

    def take(self) -> list[Row]:
        count = 1 if self.delay else len(self.queue)
        return [self.queue.popleft() for _ in range(min(count, len(self.queue)))]


class Broker:
    """JSONL lines ``{"ts","subject","confirm","strong","consistency","gating"}``; SQLite table ``signals``."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        demo_dir = Path(rt.args.state_dir)
        demo_dir.mkdir(parents=True, exist_ok=True)
        self.jsonl = open(demo_dir / JSONL_NAME, "ab")  # noqa: SIM115 - closed in stop()
        self.db = sqlite3.connect(demo_dir / SQLITE_NAME, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)
        self.db.commit()
        self.writers = {name: _Writer(name, rt.args.sink_queue) for name in ("jsonl", "sqlite")}
        self._tasks: list[asyncio.Task[None]] = []
        self._sub: Any = None
        self._stopping = False
        for kind, value in rt.faults.items():
            self.on_fault(kind, True, value)

    async def start(self) -> None:
        self._sub = await self.rt.nc.subscribe(SIGNAL_SUBJECT, cb=self._on_signal)
        self._tasks = [asyncio.create_task(self._drain_loop(w)) for w in self.writers.values()]

    async def _on_signal(self, msg: Msg) -> None:
        try:
            body = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            return
        if isinstance(body, dict):
            row = to_row(msg.subject, body)
            for writer in self.writers.values():
                writer.offer(row)

    async def _drain_loop(self, writer: _Writer) -> None:
        while not self._stopping:
            rows = writer.take()
            if rows:
                await asyncio.to_thread(self._write, writer, rows)
            await asyncio.sleep(writer.delay if writer.delay else FLUSH_SECONDS)

    def _write(self, writer: _Writer, rows: list[Row]) -> None:
        if writer.name == "jsonl":
            keys = ("ts", "subject", "confirm", "strong", "consistency", "gating")
            self.jsonl.write(b"".join(orjson.dumps(dict(zip(keys, row, strict=True))) + b"\n" for row in rows))
            self.jsonl.flush()
        else:
            self.db.executemany("INSERT INTO signals (ts, subject, confirm, strong, consistency, gating) "
                                "VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.db.commit()
        writer.written += len(rows)

    def on_fault(self, kind: str, active: bool, value: float | None) -> None:
        """``slow-sink-sqlite`` / ``slow-sink-jsonl``: each write of that sink takes ``value`` s more."""
        writer = self.writers.get(kind.removeprefix("slow-sink-")) if kind.startswith("slow-sink-") else None
        if writer is not None:
            writer.delay = (value or 0.2) if active else 0.0

    async def stop(self) -> None:
        """Stop reading, then write everything still queued: no queue is left behind."""
        if self._sub is not None:
            await self._sub.unsubscribe()
        self._stopping = True
        await asyncio.gather(*self._tasks)
        for writer in self.writers.values():
            writer.delay = 0.0
            if rows := writer.take():
                self._write(writer, rows)
        self.jsonl.close()
        self.db.close()
        log.info("broker: %s", ", ".join(f"{w.name} written {w.written} dropped {w.dropped}"
                                          for w in self.writers.values()))
