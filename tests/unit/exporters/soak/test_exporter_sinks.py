"""JSONL tail (partial lines, truncation, rotation), SQLite polling, parity and `soakwatch parity`."""

import json
import os
import sqlite3

import pytest

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.config import SinksConfig
from soakwatch.exporters.soak.sinks.collector import SinkCollector
from soakwatch.exporters.soak.sinks.jsonl_tail import JsonlTail
from soakwatch.exporters.soak.sinks.parity import SinkCounts, Totals, compare, diff_pct
from soakwatch.exporters.soak.sinks.parity_cli import main as parity_main
from soakwatch.exporters.soak.sinks.parity_cli import parse_time
from soakwatch.exporters.soak.sinks.record import SinkRecord
from soakwatch.exporters.soak.sinks.sqlite_poll import SqlitePoller
from soakwatch.testing.samples import value


def _line(ts, confirm=True, strong=False):
    return json.dumps({"ts": ts, "subject": "signal.X", "confirm": confirm, "strong": strong,
                       "consistency": "ok", "gating": None}) + "\n"


def _append(path, text):
    with open(path, "a") as handle:
        handle.write(text)


def test_jsonl_partial_line_waits_for_its_newline(tmp_path):
    path = tmp_path / "s.jsonl"
    errors = ErrorCounter()
    tail = JsonlTail(path, errors)
    assert tail.poll() == [] and errors.get("sinks", "jsonl_missing") == 1
    assert tail.poll() == [] and errors.get("sinks", "jsonl_missing") == 1  # counted once per absence
    line = _line(1.5, strong=True)
    _append(path, _line(1.0) + line[:20])
    assert tail.poll() == [SinkRecord(1.0, True, False)]
    assert tail.pending() == line[:20].encode()
    _append(path, line[20:])
    assert tail.poll() == [SinkRecord(1.5, True, True)]
    assert errors.snapshot() == {("sinks", "jsonl_missing"): 1}


def test_jsonl_bad_lines_counted_and_skipped(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"ts": 1, "confirm": tr\n[1]\n{"confirm": true}\n\n' + _line(2.0))
    errors = ErrorCounter()
    records = JsonlTail(path, errors).poll()
    assert records == [SinkRecord(None, True, False), SinkRecord(2.0, True, False)]
    assert errors.get("sinks", "jsonl_bad_json") == 1
    assert errors.get("sinks", "jsonl_not_object") == 1
    assert errors.get("sinks", "jsonl_no_ts") == 1


def test_jsonl_truncation_restarts_at_zero(tmp_path):
    path = tmp_path / "s.jsonl"
    _append(path, _line(1.0) + _line(2.0) + '{"ts": 3')
    errors = ErrorCounter()
    tail = JsonlTail(path, errors)
    assert len(tail.poll()) == 2
    with open(path, "w") as handle:  # copytruncate
        handle.write(_line(4.0))
    assert tail.poll() == [SinkRecord(4.0, True, False)]
    assert errors.get("sinks", "jsonl_cut_line") == 1


def test_jsonl_rotation_reads_old_file_to_its_end_first(tmp_path):
    path = tmp_path / "s.jsonl"
    _append(path, _line(1.0))
    tail = JsonlTail(path, ErrorCounter())
    assert len(tail.poll()) == 1
    _append(path, _line(2.0))  # written after the last poll, before the rename
    os.rename(path, tmp_path / "s.jsonl.1")
    assert tail.poll() == [SinkRecord(2.0, True, False)]  # no new file yet: old one drained
    _append(tmp_path / "s.jsonl.1", _line(3.0))
    _append(path, _line(4.0))
    assert [r.ts for r in tail.poll()] == [3.0, 4.0]
    _append(path, _line(5.0))
    assert [r.ts for r in tail.poll()] == [5.0]


def _db(path, wal=True):
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS signals(id INTEGER PRIMARY KEY, ts REAL, subject TEXT, "
                 "confirm INTEGER, strong INTEGER, consistency TEXT, gating TEXT)")
    conn.commit()
    return conn


def _insert(conn, *rows):
    conn.executemany("INSERT INTO signals(ts, subject, confirm, strong, consistency, gating) "
                     "VALUES (?, 'signal.X', ?, ?, 'ok', NULL)", rows)
    conn.commit()


def test_sqlite_missing_then_incremental_reads_never_creating_the_file(tmp_path):
    path = tmp_path / "s.sqlite"
    errors = ErrorCounter()
    poller = SqlitePoller(path, errors, batch=2)
    assert poller.poll() == [] and not path.exists()
    assert errors.get("sinks", "sqlite_missing") == 1
    conn = _db(path)
    _insert(conn, (1.0, 1, 0), (2.0, 0, 1), (3.0, 1, 1))
    assert [r.ts for r in poller.poll()] == [1.0, 2.0, 3.0]  # batches of 2
    _insert(conn, (4.0, 0, 0))
    assert poller.poll() == [SinkRecord(4.0, False, False)]
    assert poller.poll() == []


def test_sqlite_no_table_locked_and_recreated(tmp_path):
    path = tmp_path / "s.sqlite"
    sqlite3.connect(path).close()
    errors = ErrorCounter()
    poller = SqlitePoller(path, errors)
    assert poller.poll() == [] and errors.get("sinks", "sqlite_no_table") == 1
    conn = _db(path, wal=False)
    _insert(conn, (1.0, 1, 0))
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    assert poller.poll() == [] and errors.get("sinks", "sqlite_locked") == 1
    locker.execute("ROLLBACK")
    assert len(poller.poll()) == 1  # nothing lost once the lock is gone
    conn.close()
    os.remove(path)
    _insert(_db(path), (7.0, 0, 1))
    assert poller.poll() == [SinkRecord(7.0, False, True)]  # recreated file: from id 0 again


def test_parity_math():
    assert diff_pct(0, 0) == 0 and diff_pct(200, 199) == 0.5
    a, b = Totals(1000, 500, 100), Totals(1000, 495, 99)
    diffs = compare(a, b)
    assert diffs["total"] == 0 and round(diffs["confirm"], 6) == 1.0
    assert round(diffs["strong_ratio"], 6) == 1.0


def test_collector_parity_only_over_seconds_both_sinks_reached(tmp_path):
    jsonl, db = tmp_path / "s.jsonl", tmp_path / "s.sqlite"
    _append(jsonl, "".join(_line(100.0 + i / 10, strong=i % 2 == 0) for i in range(30)))  # 100.0 .. 102.9
    conn = _db(db)
    _insert(conn, *[(100.0 + i / 10, 1, int(i % 2 == 0)) for i in range(15)])  # lags: 100.0 .. 101.4
    col = SinkCollector(SinksConfig(jsonl=jsonl, sqlite=db), ErrorCounter())
    col.poll()
    assert value(col, "soak_sink_signals_total", sink="jsonl", kind="total") == 30
    assert value(col, "soak_sink_signals_total", sink="sqlite", kind="strong") == 8
    assert value(col, "soak_sink_parity_diff_ratio", field="total") == 0  # only second 100 compared
    _insert(conn, *[(101.5 + i / 10, 1, 0) for i in range(15)])  # catches up, but strong flags lost
    col.poll()
    assert value(col, "soak_sink_parity_diff_ratio", field="total") == 0
    # seconds 100 and 101: jsonl 10 strong of 20, sqlite 8 of 20
    assert value(col, "soak_sink_parity_diff_ratio", field="strong_ratio") == pytest.approx(0.2)


def test_sink_counts_window():
    counts = SinkCounts()
    counts.add([SinkRecord(10.2, True, False), SinkRecord(11.9, False, True), SinkRecord(None, True, True)])
    assert counts.totals == Totals(3, 2, 2)
    assert counts.window(11, None) == Totals(1, 0, 1) and counts.window(None, 11) == Totals(1, 1, 0)


def test_parse_time_forms():
    assert parse_time("60m", now=10_000.0) == 6400.0
    assert parse_time("1700000000.5") == 1700000000.5
    assert parse_time("2023-11-14T22:13:20Z") == 1700000000.0


def test_parity_command_writes_diff_with_window(tmp_path, capsys):
    jsonl, db, out = tmp_path / "s.jsonl", tmp_path / "s.sqlite", tmp_path / "o" / "parity_diff.json"
    _append(jsonl, "".join(_line(1000.0 + i, confirm=i % 3 == 0, strong=i % 4 == 0) for i in range(400)))
    conn = _db(db)
    _insert(conn, *[(1000.0 + i, int(i % 3 == 0), int(i % 4 == 0)) for i in range(398)])  # 2 late rows
    assert parity_main(["--jsonl", str(jsonl), "--sqlite", str(db), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["total_diff_pct"] == 0 and result["pass"] is True
    assert result["window"]["start"] == 1000 and result["window"]["end"] == 1398
    assert result["window"]["alignment"].startswith("whole UTC seconds")
    assert result["jsonl"]["records_read"] == 400 and result["jsonl"]["total"] == 398
    assert json.loads(capsys.readouterr().out)["pass"] is True
    conn.execute("UPDATE signals SET confirm = 0 WHERE id <= 30")
    conn.commit()
    assert parity_main(["--jsonl", str(jsonl), "--sqlite", str(db), "--out", str(out), "--since", "1100"]) == 0
    assert parity_main(["--jsonl", str(jsonl), "--sqlite", str(db), "--out", str(out)]) == 1
    result = json.loads(out.read_text())
    assert result["confirm_diff_pct"] == round(10 / 133 * 100, 6) and result["pass"] is False


def test_parity_command_missing_file_is_usage_error(tmp_path, capsys):
    assert parity_main(["--jsonl", str(tmp_path / "x"), "--sqlite", str(tmp_path / "y")]) == 2
    assert "invalid config: --jsonl must name an existing file" in capsys.readouterr().err
    assert parity_main([]) == 2
    assert capsys.readouterr().err.strip() == "soakwatch parity: invalid config: --jsonl is required (see --help)"


def test_time_units_are_normalised_to_seconds(tmp_path):
    from soakwatch.exporters.soak.sinks.record import epoch_seconds

    assert epoch_seconds(1700000000.5) == 1700000000.5
    assert epoch_seconds(1700000000500) == 1700000000.5
    assert epoch_seconds(1700000000500000) == 1700000000.5
    assert epoch_seconds(1700000000500000000) == 1700000000.5
    assert epoch_seconds("1") is None and epoch_seconds(True) is None


def test_parity_diff_function_for_reuse(tmp_path):
    from soakwatch.exporters.soak.sinks.parity_cli import parity_diff

    jsonl, db = tmp_path / "s.jsonl", tmp_path / "s.sqlite"
    _append(jsonl, "".join(_line(1000 + i) for i in range(10)))
    _insert(_db(db), *[(1000.0 + i, 1, 0) for i in range(9)])
    result = parity_diff(jsonl, db, until=1010)
    assert result["total_diff_pct"] == 0 and result["window"]["end"] == 1009
    result = parity_diff(jsonl, db, since=1000, until=1005)
    assert result["jsonl"]["total"] == 5 and result["sqlite"]["total"] == 5


def test_sqlite_ids_from_zero_and_below_are_all_read(tmp_path):
    path = tmp_path / "signals.sqlite"
    conn = _db(path)
    conn.executemany("INSERT INTO signals(id, ts, subject, confirm, strong, consistency, gating) "
                     "VALUES (?, ?, 'signal.X', 1, 0, 'ok', NULL)", [(-5, 1.0), (0, 2.0), (1, 3.0)])
    conn.commit()
    poller = SqlitePoller(path, ErrorCounter())
    try:
        assert [r.ts for r in poller.poll()] == [1.0, 2.0, 3.0]
        _insert(conn, (4.0, 0, 1))
        assert [r.ts for r in poller.poll()] == [4.0]
    finally:
        poller.close()
        conn.close()
