"""The dual sink read while another process writes it: SQLite in WAL mode and a JSONL file with lines
flushed in halves and a rotation halfway. The reader never blocks the writer and loses nothing."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import pytest
from prometheus_client import CollectorRegistry

from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.testing.samples import value

_WRITER = r"""
import json, os, sqlite3, sys, time
jsonl, db, n, rotate_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=NORMAL")
conn.execute("CREATE TABLE IF NOT EXISTS signals(id INTEGER PRIMARY KEY, ts REAL, subject TEXT, "
             "confirm INTEGER, strong INTEGER, consistency TEXT, gating TEXT)")
out = open(jsonl, "a")
worst = 0.0
for i in range(n):
    ts = time.time()
    confirm, strong = i % 2 == 0, i % 5 == 0
    line = json.dumps({"ts": ts, "subject": "signal.X", "confirm": confirm, "strong": strong,
                       "consistency": "ok", "gating": None}) + "\n"
    out.write(line[: len(line) // 2]); out.flush()
    if i % 50 == 0:
        time.sleep(0.003)  # the reader sees a line cut in half
    out.write(line[len(line) // 2:]); out.flush()
    start = time.perf_counter()
    conn.execute("INSERT INTO signals(ts, subject, confirm, strong, consistency, gating) VALUES (?,?,?,?,?,?)",
                 (ts, "signal.X", int(confirm), int(strong), "ok", None))
    worst = max(worst, time.perf_counter() - start)
    if i == rotate_at:
        out.close()
        os.rename(jsonl, jsonl + ".1")
        out = open(jsonl, "a")
    time.sleep(0.0005)
print(json.dumps({"worst_insert_s": worst}))
"""


async def _until(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(60)
async def test_concurrent_writer_wal_and_rotating_jsonl(tmp_path):
    jsonl, db, n = tmp_path / "signals.jsonl", tmp_path / "signals.sqlite", 2000
    config = parse_config({"sinks": {"jsonl": str(jsonl), "sqlite": str(db), "interval": 0.02}})
    exporter = SoakExporter(config)
    registry = CollectorRegistry()
    exporter.register(registry)
    stop = asyncio.Event()
    task = asyncio.create_task(exporter.run(stop))
    try:
        writer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WRITER, str(jsonl), str(db), str(n), str(n // 2),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        await _until(lambda: (value(registry, "soak_sink_signals_total", sink="sqlite", kind="total") or 0) > 100,
                     what="reads while the writer runs")
        assert writer.returncode is None  # really concurrent
        out, err = await asyncio.wait_for(writer.communicate(), 40)
        assert writer.returncode == 0, err.decode()
        for sink in ("jsonl", "sqlite"):
            await _until(lambda s=sink: value(registry, "soak_sink_signals_total", sink=s, kind="total") == n,
                         what=f"all {sink} records")
            assert value(registry, "soak_sink_signals_total", sink=sink, kind="confirm") == n // 2
            assert value(registry, "soak_sink_signals_total", sink=sink, kind="strong") == n // 5
        for field in ("total", "confirm", "strong_ratio"):
            assert value(registry, "soak_sink_parity_diff_ratio", field=field) == 0
        # only the start-up race (files not there yet) may show; never a bad line, a lock or a cut line
        startup = {"jsonl_missing", "sqlite_missing", "sqlite_no_table"}
        seen = {reason for (_, reason), n in exporter.errors.snapshot().items() if n > 0}
        assert seen <= startup, exporter.errors.snapshot()
        assert json.loads(out)["worst_insert_s"] < 0.5  # the reader never made the writer wait
    finally:
        stop.set()
        await task
