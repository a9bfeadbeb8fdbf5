"""The probe's json, text and csv output."""

from __future__ import annotations

import csv
import io
import json

import orjson

from soakwatch.exporters.probe.output import CSV_COLUMNS, ReportWriter, render
from soakwatch.exporters.probe.state import Probe
from soakwatch.exporters.probe.ticks import TickReader

NOW = 1_700_000_000_000_000_000


def _reports():
    clock = {"mono": 0.0}
    probe = Probe(TickReader(), clock_ns=lambda: NOW, monotonic=lambda: clock["mono"])
    probe.record(b"s", orjson.dumps({"ts_ns": NOW - 2_000_000}), None)
    probe.record(b"s", b"oops", None)
    clock["mono"] = 5.0
    return probe.roll_window(), probe.summary()


def test_json_lines_have_the_runbook_fields():
    window, summary = _reports()
    stream = io.StringIO()
    writer = ReportWriter(stream, "json")
    writer.write(window)
    writer.write(summary)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["probe_window", "probe_summary"]
    for line in lines:
        assert set(line["latency_ms"]) == {"p50", "p90", "p99", "mean", "min", "max"}
        assert {"window_seconds", "mps_window", "total", "parse_gaps", "dropped", "reconnects"} <= set(line)
    assert lines[0]["latency_ms"]["p99"] == 2.0 and lines[0]["parse_gaps"] == 1 and lines[0]["total"] == 2
    assert lines[0]["mps_window"] == 0.4


def test_csv_has_one_header_then_rows():
    window, summary = _reports()
    stream = io.StringIO()
    writer = ReportWriter(stream, "csv")
    writer.write(window)
    writer.write(summary)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row["event"] for row in rows] == ["probe_window", "probe_summary"]
    assert rows[1]["total"] == "2" and rows[1]["not_json"] == "1" and rows[1]["p50_ms"] == "2.0"


def test_text_summary_says_how_the_connection_held():
    _, summary = _reports()
    text = render(summary, "text")
    assert text.startswith("summary ") and "total 2" in text and "parse_gaps 1" in text
    assert "0 reconnect(s)" in text
