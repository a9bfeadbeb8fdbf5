"""The dual sink read through the signals section's field and value mapping (JSONL, SQLite, parity)."""

import json
import logging
import sqlite3

import pytest

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.soak.config import SinksConfig, parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.exporters.soak.sinks.collector import SinkCollector
from soakwatch.exporters.soak.sinks.jsonl_tail import JsonlTail
from soakwatch.exporters.soak.sinks.parity_cli import main as parity_main
from soakwatch.exporters.soak.sinks.parity_cli import parity_diff
from soakwatch.exporters.soak.sinks.record import SinkRecord
from soakwatch.exporters.soak.sinks.sqlite_poll import SqlitePoller, quote
from soakwatch.testing.samples import value

MAPPING = FieldMap({"strong": "is_strong", "confirm": "confirmed", "ts": "time"},
                   {"strong": {"yes": True, "no": False}})


def _jsonl(path, rows):
    path.write_text("".join(json.dumps({"time": ts, "confirmed": c, "is_strong": s}) + "\n" for ts, c, s in rows))


def _sqlite(path, rows, columns=("time", "confirmed", "is_strong")):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    cols = ", ".join(quote(c) for c in columns)
    conn.execute(f"CREATE TABLE signals(id INTEGER PRIMARY KEY, {cols})")
    conn.executemany(f"INSERT INTO signals({cols}) VALUES ({', '.join('?' * len(columns))})", rows)
    conn.commit()
    return conn


def test_jsonl_records_read_through_the_mapping(tmp_path):
    path = tmp_path / "s.jsonl"
    _jsonl(path, [(1.0, True, "yes"), (2.0, False, "no"), (3.0, True, True)])
    errors = ErrorCounter()
    assert JsonlTail(path, errors, mapping=MAPPING).poll() == [
        SinkRecord(1.0, True, True), SinkRecord(2.0, False, False), SinkRecord(3.0, True, True)]
    assert errors.snapshot() == {}


def test_jsonl_record_without_a_mapped_field_is_counted_not_a_silent_false(tmp_path, caplog):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"time": 1.0, "confirm": True, "strong": True}) + "\n")  # contract names
    errors = ErrorCounter()
    with caplog.at_level(logging.WARNING, "soakwatch.exporter"):
        assert JsonlTail(path, errors, mapping=MAPPING).poll() == [SinkRecord(1.0, False, False)]
    assert errors.get("sinks", "jsonl_no_field") == 1
    assert "'confirmed' (signals.fields.confirm), 'is_strong' (signals.fields.strong)" in caplog.text


def test_sqlite_mapped_columns_and_values(tmp_path):
    path = tmp_path / "s.sqlite"
    _sqlite(path, [(1.0, 1, "yes"), (2.0, 0, "no"), (3.0, 1, 1)])
    errors = ErrorCounter()
    assert SqlitePoller(path, errors, mapping=MAPPING).poll() == [
        SinkRecord(1.0, True, True), SinkRecord(2.0, False, False), SinkRecord(3.0, True, True)]
    assert errors.snapshot() == {}


def test_sqlite_column_names_are_quoted(tmp_path):
    path = tmp_path / "s.sqlite"
    odd = FieldMap({"strong": 'is "strong"; DROP TABLE signals', "confirm": "select"})
    _sqlite(path, [(1.0, 1, 1)], columns=("ts", "select", 'is "strong"; DROP TABLE signals'))
    assert SqlitePoller(path, ErrorCounter(), mapping=odd).poll() == [SinkRecord(1.0, True, True)]


def test_sqlite_missing_mapped_column_is_counted_until_it_exists(tmp_path, caplog):
    path = tmp_path / "s.sqlite"
    conn = _sqlite(path, [(1.0, 1)], columns=("time", "confirmed"))
    errors = ErrorCounter(log_every=0)
    poller = SqlitePoller(path, errors, mapping=MAPPING)
    with caplog.at_level(logging.WARNING, "soakwatch.exporter"):
        assert poller.poll() == [] and poller.poll() == []
    assert errors.get("sinks", "sqlite_no_column") == 2
    assert "has no column 'is_strong' (signals.fields.strong)" in caplog.text
    conn.execute("ALTER TABLE signals ADD COLUMN is_strong INTEGER")
    conn.execute("UPDATE signals SET is_strong = 1")
    conn.commit()
    assert poller.poll() == [SinkRecord(1.0, True, True)] and poller.missing == ()


def test_unmapped_reader_of_a_mapped_table_is_an_error_not_zero(tmp_path):
    path = tmp_path / "s.sqlite"
    _sqlite(path, [(1.0, 1, 1)], columns=("ts", "confirm", "is_strong"))
    errors = ErrorCounter()
    assert SqlitePoller(path, errors).poll() == []
    assert errors.get("sinks", "sqlite_no_column") == 1


def test_collector_counts_mapped_strong_and_drift(tmp_path):
    jsonl, db = tmp_path / "s.jsonl", tmp_path / "s.sqlite"
    rows = [(100.0 + i / 10, i % 2 == 0, i % 3 == 0) for i in range(30)]
    _jsonl(jsonl, rows)
    _sqlite(db, [(ts, int(c), int(s and i != 0)) for i, (ts, c, s) in enumerate(rows)])  # one strong lost
    col = SinkCollector(SinksConfig(jsonl=jsonl, sqlite=db), ErrorCounter(), mapping=MAPPING)
    col.poll()
    assert value(col, "soak_sink_signals_total", sink="jsonl", kind="strong") == 10
    assert value(col, "soak_sink_signals_total", sink="sqlite", kind="strong") == 9
    assert value(col, "soak_sink_signals_total", sink="sqlite", kind="confirm") == 15
    # seconds 100 and 101 compared (102 may still be written): 7 strong of 20 against 6
    assert value(col, "soak_sink_parity_diff_ratio", field="strong_ratio") == pytest.approx(1 / 7)


def test_sink_and_signal_file_read_errors_exposed_at_zero(tmp_path):
    config = parse_config({"sinks": {"jsonl": str(tmp_path / "s.jsonl"), "sqlite": str(tmp_path / "s.sqlite")},
                           "signals": {"source": "jsonl", "fields": {"strong": "is_strong"}}})
    exporter = SoakExporter(config)
    declared = exporter.errors.snapshot()
    for reason in ("jsonl_bad_json", "jsonl_no_field", "sqlite_no_column", "sqlite_locked", "jsonl_future_ts"):
        assert declared[("sinks", reason)] == 0, reason
    for reason in ("jsonl_missing", "jsonl_bad_json", "jsonl_not_object", "jsonl_cut_line", "bad_json"):
        assert declared[("signals", reason)] == 0, reason
    assert exporter.sinks is not None


def test_signals_ts_is_a_mappable_field_and_unknown_fields_still_fail():
    assert parse_config({"signals": {"fields": {"ts": "time"}}}).signals.mapping.name("ts") == "time"
    with pytest.raises(ConfigError, match=r"signals\.fields\.when is not a contract field"):
        parse_config({"signals": {"fields": {"when": "time"}}})


def _config(tmp_path, jsonl, db):
    path = tmp_path / "soak.yaml"
    path.write_text(f"sinks: {{jsonl: {jsonl}, sqlite: {db}}}\n"
                    "signals:\n  fields: {strong: is_strong, confirm: confirmed, ts: time}\n"
                    "  values: {strong: {'yes': true, 'no': false}}\n")
    return path


def test_parity_command_reads_the_mapping_from_the_config(tmp_path, capsys):
    jsonl, db = tmp_path / "s.jsonl", tmp_path / "s.sqlite"
    rows = [(1000.0 + i, True, "yes" if i < 4 else "no") for i in range(10)]
    _jsonl(jsonl, rows)
    _sqlite(db, [(ts, 1, s) for ts, _, s in rows]).close()
    out = tmp_path / "p.json"
    assert parity_main(["--config", str(_config(tmp_path, jsonl, db)), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["jsonl"]["strong"] == result["sqlite"]["strong"] == 4
    assert result["sqlite"]["confirm"] == 10 and result["input_errors"] == {}
    _sqlite(tmp_path / "t.sqlite", [(ts, 1, "yes" if i < 3 else "no") for i, (ts, _, _) in enumerate(rows)])
    assert parity_main(["--config", str(_config(tmp_path, jsonl, db)), "--sqlite", str(tmp_path / "t.sqlite"),
                        "--out", str(out)]) == 1  # the flag wins over the config; one strong differs
    assert json.loads(out.read_text())["strong_ratio_diff_pct"] == 25.0
    with pytest.raises(ConfigError, match="no column 'ts', 'confirm', 'strong'"):
        parity_diff(jsonl, db)  # without the mapping: never a trivial pass


def test_parity_command_missing_mapped_column_is_a_clear_error(tmp_path, capsys):
    jsonl, db = tmp_path / "s.jsonl", tmp_path / "s.sqlite"
    _jsonl(jsonl, [(1000.0, True, True)])
    _sqlite(db, [(1000.0, 1)], columns=("time", "confirmed")).close()
    assert parity_main(["--config", str(_config(tmp_path, jsonl, db)), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "invalid config: --sqlite must have the columns read" in err
    assert "no column 'is_strong' (signals.fields.strong)" in err
    assert parity_main(["--config", str(tmp_path / "none.yaml")]) == 2
    assert "invalid config: --config must be a readable file" in capsys.readouterr().err
