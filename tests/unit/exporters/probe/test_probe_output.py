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


def test_the_pass_bar_marks_each_item():
    from soakwatch.exporters.probe.bar import PassBar, describe

    _, summary = _reports()
    data = {**summary.as_dict(), "mps_window": 6000.0, "parse_gap_ratio": 0.0005}
    bar = PassBar().judge(data)
    assert bar["pass"] is (data["connected"] and data["reconnects"] == 0 and data["dropped"] == 0)
    assert [i["pass"] for i in bar["items"][:2]] == [True, True]
    slow = PassBar().judge({**data, "mps_window": 4999.9, "parse_gap_ratio": 0.001})
    assert [i["pass"] for i in slow["items"][:2]] == [False, False] and slow["pass"] is False
    assert describe(slow).startswith("pass bar: FAIL (rate 4,999.9 msgs/s >= 5,000 msgs/s: FAIL; parse_gaps 0.100%")
