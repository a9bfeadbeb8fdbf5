"""Harvester stats (counter resets), signals, export events and the run-manifest fallback."""

import json

import orjson

from soakwatch import contract
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.exports import ExportCollector
from soakwatch.exporters.soak.harvester import HarvesterCollector
from soakwatch.exporters.soak.manifest import ManifestReader
from soakwatch.exporters.soak.signals import SignalCollector
from soakwatch.testing.samples import sample_values, value


def _stats(**kw):
    return orjson.dumps(contract.harvester_stats(**kw))


def test_harvester_counter_reset_never_lowers_totals():
    col = HarvesterCollector(ErrorCounter())
    assert sample_values(col) == {  # exposed at 0 from the start; 0 stats received says they are not live
        ("soak_harvester_queue_dropped_total", ()): 0, ("soak_harvester_substream_timeouts_total", ()): 0,
        ("soak_harvester_reconnects_total", ()): 0, ("soak_harvester_stats_received_total", ()): 0}
    col.handle("s", _stats(queue_dropped=3, reconnect_count=2, queue_depth=9))
    col.handle("s", _stats(queue_dropped=5, reconnect_count=2, queue_depth=4))
    col.handle("s", _stats(queue_dropped=1, reconnect_count=0, queue_depth=1))  # harvester restarted
    col.handle("s", _stats(queue_dropped=2, reconnect_count=1, substream_timeouts=1, queue_depth=0))
    assert value(col, "soak_harvester_queue_dropped_total") == 7
    assert value(col, "soak_harvester_reconnects_total") == 3
    assert value(col, "soak_harvester_substream_timeouts_total") == 1
    assert value(col, "soak_harvester_queue_depth") == 0


def test_harvester_bad_values_are_counted_and_good_fields_kept():
    errors = ErrorCounter()
    col = HarvesterCollector(errors)
    col.handle("s", b'{"queue_dropped": -1, "reconnect_count": 2}')
    col.handle("s", b'{"queue_dropped": "x"}')
    col.handle("s", b"{]")
    assert errors.get("harvester", "bad_value") == 2 and errors.get("harvester", "bad_json") == 1
    assert value(col, "soak_harvester_reconnects_total") == 2
    assert value(col, "soak_harvester_queue_dropped_total") == 0


def _manifest(tmp_path, data):
    path = tmp_path / "run_manifest_1.json"
    path.write_text(json.dumps(data))
    reader = ManifestReader(str(tmp_path / "run_manifest*.json"), ErrorCounter())
    reader.refresh()
    return reader


def test_harvester_falls_back_to_manifest_until_live_stats(tmp_path):
    reader = _manifest(tmp_path, {"harvester_metrics": {"queue_dropped": 0, "substream_timeout_detected": True,
                                                        "reconnect_count": 4}})
    col = HarvesterCollector(ErrorCounter(), reader)
    assert value(col, "soak_harvester_substream_timeouts_total") == 1
    assert value(col, "soak_harvester_reconnects_total") == 4
    col.handle("s", _stats(reconnect_count=1))
    assert value(col, "soak_harvester_reconnects_total") == 1


def test_signals_counts():
    errors = ErrorCounter()
    col = SignalCollector(errors)
    for confirm, strong, consistency, gating in [(True, False, "ok", None), (True, True, "low", "spread"),
                                                 (False, False, "low", "spread"), (False, True, "ok", "vol")]:
        col.handle("signal.X", orjson.dumps(contract.signal(confirm, strong, consistency, gating)))
    col.handle("signal.X", b"nope")
    col.handle("signal.X", b'{"confirm": true, "consistency": "weird"}')
    assert value(col, "soak_signals_total") == 5
    assert value(col, "soak_signals_confirmed_total") == 3
    assert value(col, "soak_signals_strong_total") == 2
    assert value(col, "soak_signals_low_consistency_total") == 2
    assert value(col, "soak_signals_gated_total", reason="spread") == 2
    assert value(col, "soak_signals_gated_total", reason="vol") == 1
    assert errors.get("signals", "bad_json") == 1 and errors.get("signals", "unknown_consistency") == 1


def test_signals_start_at_zero():
    assert value(SignalCollector(ErrorCounter()), "soak_signals_total") == 0


def test_exports_per_backend_with_last_success_time():
    errors = ErrorCounter()
    col = ExportCollector(errors, clock=lambda: 99.0)
    for backend, ok, ts in [("prometheus", True, 10.0), ("prometheus", False, 20.0), ("influxdb", True, 5.0)]:
        col.handle("soak.report.export", orjson.dumps(contract.export_event(backend, ok, None, ts)))
    col.handle("soak.report.export", b'{"backend": "prometheus", "ok": true}')  # no ts: receive time
    col.handle("soak.report.export", b'{"backend": "a b", "ok": true}')
    col.handle("soak.report.export", b'{"backend": "prometheus", "ok": "yes"}')
    assert value(col, "soak_timeseries_exports_total", backend="prometheus") == 2
    assert value(col, "soak_timeseries_export_errors_total", backend="prometheus") == 1
    assert value(col, "soak_timeseries_export_errors_total", backend="influxdb") == 0
    assert value(col, "soak_timeseries_last_export_timestamp_seconds", backend="prometheus") == 99.0
    assert value(col, "soak_timeseries_last_export_timestamp_seconds", backend="influxdb") == 5.0
    assert errors.get("exports", "bad_value") == 2


def test_exports_fall_back_to_manifest(tmp_path):
    reader = _manifest(tmp_path, {"timeseries_export": {"type": "influxdb", "export_count": 61, "error_count": 1}})
    col = ExportCollector(ErrorCounter(), reader)
    assert value(col, "soak_timeseries_exports_total", backend="influxdb") == 61
    assert value(col, "soak_timeseries_export_errors_total", backend="influxdb") == 1


def test_manifest_half_written_keeps_last_good(tmp_path):
    path = tmp_path / "run_manifest.json"
    path.write_text(json.dumps({"status": {"processes": [{"name": "signal", "restart_count": 1}]}}))
    errors = ErrorCounter()
    reader = ManifestReader(str(path), errors)
    reader.refresh()
    assert reader.restart_counts() == {"signal": 1}
    path.write_text('{"status": {"processes": [{"name": "sig')
    reader.refresh()
    assert errors.get("manifest", "bad_json") == 1
    assert reader.restart_counts() == {"signal": 1}
    path.write_text(json.dumps({"status": {"processes": {"signal": {"restart_count": 2}}}}))
    reader.refresh()
    assert reader.restart_counts() == {"signal": 2}


def test_manifest_glob_reads_newest_and_missing_is_quiet(tmp_path):
    errors = ErrorCounter()
    reader = ManifestReader(str(tmp_path / "run_manifest_*.json"), errors)
    reader.refresh()
    assert reader.data is None and not any(errors.snapshot().values())
    import os
    (tmp_path / "run_manifest_a.json").write_text('{"harvester_metrics": {"reconnect_count": 1}}')
    (tmp_path / "run_manifest_b.json").write_text('{"harvester_metrics": {"reconnect_count": 2}}')
    os.utime(tmp_path / "run_manifest_a.json", (1, 1))
    reader.refresh()
    assert reader.harvester() == {"reconnect_count": 2}


def test_harvester_last_update_is_the_latest_stats_and_absent_before() -> None:
    from prometheus_client import CollectorRegistry

    now = [1000.0]
    harvester = HarvesterCollector(ErrorCounter(), clock=lambda: now[0])
    registry = CollectorRegistry()
    registry.register(harvester)
    assert registry.get_sample_value("soak_harvester_last_update_timestamp_seconds") is None
    harvester.handle("soak.harvester.stats", b'{"queue_dropped": 0}')
    now[0] = 1005.0
    harvester.handle("soak.harvester.stats", b'{"queue_dropped": 1}')
    assert registry.get_sample_value("soak_harvester_last_update_timestamp_seconds") == 1005.0
    harvester.handle("soak.harvester.stats", b'{"queue_dropped": -1}')  # refused: not an update
    assert registry.get_sample_value("soak_harvester_last_update_timestamp_seconds") == 1005.0
