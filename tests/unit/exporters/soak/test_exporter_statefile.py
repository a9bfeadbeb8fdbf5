"""The state file: restored totals for the same run only, never a crash, never a double count."""

import json

import orjson

from soakwatch import contract
from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.testing.samples import value

CONFIG = {"health": {"processes": ["signal"]}, "harvester": True, "signals": True,
          "exports": {"backends": ["prometheus"]}}


def _exporter(tmp_path, run_id="run-1"):
    config = parse_config({**CONFIG, "exporter": {"state_file": str(tmp_path / "state.json"), "run_id": run_id}})
    return SoakExporter(config)


def _feed(exporter, dropped):
    exporter.harvester.handle("s", orjson.dumps(contract.harvester_stats(queue_dropped=dropped)))
    exporter.exports.handle("s", orjson.dumps({"backend": "prometheus", "ok": True}))
    exporter.signals.handle("s", orjson.dumps(contract.signal(confirm=True, strong=False)))
    exporter.health.handle("soak.health.signal", orjson.dumps({"status": "healthy"}))


def _figures(exporter):
    return (value(exporter.harvester, "soak_harvester_queue_dropped_total"),
            value(exporter.exports, "soak_timeseries_exports_total", backend="prometheus"),
            value(exporter.signals, "soak_signals_total"),
            value(exporter.health, "soak_health_checks_total", process="signal", status="healthy"))


def test_a_restarted_exporter_continues_every_total_and_never_counts_the_harvester_twice(tmp_path):
    first = _exporter(tmp_path)
    _feed(first, dropped=2)
    assert first.state.save() and not first.state.save()  # written once; unchanged totals are not rewritten
    second = _exporter(tmp_path)
    assert _figures(second) == (2, 1, 1, 1)  # exposed before any new message
    _feed(second, dropped=3)  # the same harvester, cumulative: one more drop
    assert _figures(second) == (3, 2, 2, 2)
    second.state.save()
    third = _exporter(tmp_path)
    _feed(third, dropped=1)  # the harvester restarted while the exporter was down
    assert _figures(third) == (4, 3, 3, 3)


def test_a_state_file_of_another_run_or_without_run_id_is_not_restored(tmp_path, caplog):
    first = _exporter(tmp_path)
    _feed(first, dropped=2)
    first.state.save()
    other = _exporter(tmp_path, run_id="run-2")
    assert _figures(other) == (0, 0, 0, 0)
    assert "is for run 'run-1', this is run 'run-2'" in caplog.text
    assert not any(n for (c, _), n in other.errors.snapshot().items() if c == "state")
    assert _figures(_exporter(tmp_path, run_id=None)) == (0, 0, 0, 0)


def test_a_corrupt_or_unreadable_state_file_is_counted_and_totals_start_at_zero(tmp_path):
    path = tmp_path / "state.json"
    for text in ("{not json", json.dumps({"version": 1, "run_id": "run-1", "parts": {
            "harvester": {"live": True, "received": 1, "counters": {"queue_dropped": [0, 1e300]}}}}),
                 json.dumps({"version": 1, "run_id": "run-1", "parts": {"signals": {"counts": []}}}),
                 json.dumps([1, 2])):
        path.write_text(text)
        exporter = _exporter(tmp_path)
        assert exporter.errors.get("state", "state_corrupt") == 1, text
        assert _figures(exporter)[0] == 0
    path.unlink()
    path.mkdir()  # a directory: unreadable as a file, and not writable by rename
    exporter = _exporter(tmp_path)
    assert exporter.errors.get("state", "state_unreadable") == 1
    _feed(exporter, dropped=1)
    assert not exporter.state.save()
    assert exporter.errors.get("state", "state_write_failed") == 1


def test_clean_close_writes_the_state(tmp_path):
    exporter = _exporter(tmp_path)
    _feed(exporter, dropped=5)
    exporter.close()
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["run_id"] == "run-1" and saved["parts"]["harvester"]["counters"]["queue_dropped"] == [0, 5]
