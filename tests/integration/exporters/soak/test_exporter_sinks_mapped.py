"""A dual sink that stores the pipeline's names (`is_strong`, `confirmed`): `soakwatch export` reads a real JSONL
file and a real SQLite WAL database through the signals mapping, so /metrics shows the real strong counts and the
parity drift of one differing record; a mapped column the table lacks is a counted, logged error, never a 0."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soakwatch.stack import free_port
from soakwatch.testing.samples import scrape

N = 40  # records, 4 a second over 10 seconds; every 4th strong, every 2nd confirmed
CONFIG = """
sinks: {{jsonl: {jsonl}, sqlite: {sqlite}, interval: 0.1}}
signals:
  source: jsonl
  fields: {{strong: is_strong, confirm: confirmed}}
"""


def _records(start: float) -> list[tuple[float, bool, bool]]:
    return [(start + i / 4, i % 2 == 0, i % 4 == 0) for i in range(N)]


def _write_sinks(tmp_path: Path, columns: str, strong_column: bool = True) -> tuple[Path, Path, sqlite3.Connection]:
    jsonl, db = tmp_path / "signals.jsonl", tmp_path / "signals.sqlite"
    records = _records(float(int(time.time()) - 60))  # whole seconds: 4 records in each
    jsonl.write_text("".join(json.dumps({"ts": ts, "confirmed": c, "is_strong": s, "quality": "good"}) + "\n"
                             for ts, c, s in records))
    conn = sqlite3.connect(db, isolation_level=None)  # stays open: the WAL file is in use while the exporter reads
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    conn.execute(f"CREATE TABLE signals(id INTEGER PRIMARY KEY, {columns})")
    for i, (ts, c, s) in enumerate(records):
        strong = s and i != 0  # the first record lost its strong flag in the SQLite sink
        values = (ts, int(c), int(strong)) if strong_column else (ts, int(c))
        conn.execute(f"INSERT INTO signals VALUES (NULL, {', '.join('?' * len(values))})", values)
    assert (db.parent / "signals.sqlite-wal").exists()
    (tmp_path / "soak.yaml").write_text(CONFIG.format(jsonl=jsonl, sqlite=db))
    return jsonl, db, conn


def _sink(sink: str, kind: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return "soak_sink_signals_total", (("kind", kind), ("sink", sink))


def _error(collector: str, reason: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return "soak_exporter_errors_total", (("collector", collector), ("reason", reason))


def _export(tmp_path: Path, repo_root: Path, until, what: str) -> tuple[dict, str]:
    """Run `soakwatch export` on tmp_path/soak.yaml until a scrape satisfies ``until``; its metrics and stderr."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "soakwatch", "export", "--config", str(tmp_path / "soak.yaml"),
                             "--web.listen-address", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not ((metrics := scrape(port)) and until(metrics)):
            assert proc.poll() is None, proc.stderr.read()[-2000:] if proc.stderr else ""
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {metrics}"
            time.sleep(0.1)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err[-2000:]
    return metrics, err


def _parity(tmp_path: Path, repo_root: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    done = subprocess.run([sys.executable, "-m", "soakwatch", "parity", "--config", str(tmp_path / "soak.yaml"),
                           "--out", str(tmp_path / "parity_diff.json")], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    return done.returncode, done.stderr


@pytest.mark.timeout(90)
def test_mapped_sinks_show_real_strong_counts_and_parity_drift(tmp_path, repo_root):
    _, _, conn = _write_sinks(tmp_path, "ts REAL, confirmed INTEGER, is_strong INTEGER")
    try:
        metrics, _ = _export(tmp_path, repo_root, lambda m: m.get(_sink("sqlite", "total")) == N
                             and m.get(_sink("jsonl", "total")) == N, "both sinks read")
    finally:
        conn.close()
    assert metrics[_sink("jsonl", "strong")] == N // 4
    assert metrics[_sink("sqlite", "strong")] == N // 4 - 1
    assert metrics[_sink("jsonl", "confirm")] == metrics[_sink("sqlite", "confirm")] == N // 2
    assert metrics[("soak_signals_strong_total", ())] == N // 4  # signals.source: jsonl, same mapping
    parity = {dict(labels)["field"]: v for (name, labels), v in metrics.items()
              if name == "soak_sink_parity_diff_ratio"}
    assert parity["total"] == parity["confirm"] == 0
    # live parity leaves out the last second (the other sink may still write it): 9 strong of 36 against 8
    assert parity["strong_ratio"] == pytest.approx(1 / 9)
    for collector, reason in (("sinks", "sqlite_no_column"), ("sinks", "jsonl_no_field"),
                              ("signals", "jsonl_bad_json"), ("sinks", "sqlite_locked")):
        assert metrics[_error(collector, reason)] == 0, reason  # declared at 0, and no error
    code, err = _parity(tmp_path, repo_root)
    assert code == 1, err
    result = json.loads((tmp_path / "parity_diff.json").read_text())
    assert (result["jsonl"]["strong"], result["sqlite"]["strong"]) == (N // 4, N // 4 - 1)
    assert result["strong_ratio_diff_pct"] == pytest.approx(10.0) and result["total_diff_pct"] == 0  # all seconds


@pytest.mark.timeout(90)
def test_a_mapped_column_the_table_lacks_is_a_clear_error_not_a_zero(tmp_path, repo_root):
    _, _, conn = _write_sinks(tmp_path, "ts REAL, confirmed INTEGER", strong_column=False)
    try:
        metrics, err = _export(tmp_path, repo_root, lambda m: m.get(_error("sinks", "sqlite_no_column"), 0) >= 2
                               and m.get(_sink("jsonl", "total")) == N, "the missing column counted")
    finally:
        conn.close()
    assert metrics[_sink("sqlite", "total")] == 0  # nothing read rather than rows with strong 0
    assert "sinks: sqlite_no_column" in err and "has no column 'is_strong' (signals.fields.strong)" in err
    code, err = _parity(tmp_path, repo_root)
    assert code == 2
    assert "invalid config: --sqlite must have the columns read" in err
    assert "'is_strong' (signals.fields.strong)" in err
    assert not (tmp_path / "parity_diff.json").exists()
