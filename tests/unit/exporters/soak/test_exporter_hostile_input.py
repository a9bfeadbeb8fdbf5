"""Input that cannot pin a figure: counted with its reason, no figure changed, no series made."""

import json

import orjson
import pytest

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.payload import MAX_COUNTER, counter_value, not_in_future
from soakwatch.exporters.soak.config import SinksConfig, parse_config
from soakwatch.exporters.soak.exports import ExportCollector
from soakwatch.exporters.soak.harvester import HarvesterCollector
from soakwatch.exporters.soak.manifest import ManifestReader
from soakwatch.exporters.soak.sinks.collector import SinkCollector
from soakwatch.exporters.soak.sinks.record import SinkRecord
from soakwatch.testing.samples import sample_values, value

NOW = 1_700_000_000.0


@pytest.mark.parametrize("raw", [1e300, float("inf"), float("nan"), -1, 1.5, True, "3", MAX_COUNTER])
def test_counter_value_refuses_what_is_not_a_bounded_count(raw):
    assert counter_value(raw) is None


def test_counter_value_takes_counts_below_the_bound():
    assert counter_value(0) == 0 and counter_value(7.0) == 7 and counter_value(MAX_COUNTER - 1) == MAX_COUNTER - 1


def test_not_in_future_allows_five_minutes_of_skew():
    assert not_in_future(NOW + 300, NOW) and not not_in_future(NOW + 301, NOW)
    assert not not_in_future(float("nan"), NOW) and not_in_future(0.0, NOW)


@pytest.mark.parametrize("payload", [b'{"queue_dropped": 1e300}', b'{"queue_dropped": 9007199254740992}',
                                     b'{"reconnect_count": 1e300}', b'{"queue_depth": 1e300}'])
def test_harvester_huge_values_are_refused_and_change_nothing(payload):
    errors = ErrorCounter()
    col = HarvesterCollector(errors)
    before = sample_values(col)
    col.handle("s", payload)
    assert errors.get("harvester", "bad_value") == 1
    after = sample_values(col)
    after.pop(("soak_harvester_stats_received_total", ()))
    before.pop(("soak_harvester_stats_received_total", ()))
    assert after == before


def _exports(backends=("prometheus",)):
    errors = ErrorCounter()
    return ExportCollector(errors, clock=lambda: NOW, backends=backends), errors


def test_listed_backends_are_exposed_at_zero_and_a_future_ts_is_refused():
    col, errors = _exports()
    assert value(col, "soak_timeseries_exports_total", backend="prometheus") == 0
    assert value(col, "soak_timeseries_export_errors_total", backend="prometheus") == 0
    before = sample_values(col)
    for ts in (1e18, NOW + 301, -5, "soon"):
        col.handle("s", orjson.dumps({"backend": "prometheus", "ok": True, "ts": ts}))
    col.handle("s", b'{"backend": "prometheus", "ok": true, "ts": 1e400}')  # orjson refuses infinity
    assert errors.get("exports", "future_timestamp") == 2
    assert errors.get("exports", "bad_timestamp") == 2
    assert errors.get("exports", "bad_json") == 1
    assert sample_values(col) == before
    col.handle("s", orjson.dumps({"backend": "prometheus", "ok": True, "ts": NOW + 10}))
    assert value(col, "soak_timeseries_last_export_timestamp_seconds", backend="prometheus") == NOW + 10


def test_unlisted_backends_count_but_are_flagged_and_bounded():
    col, errors = _exports()
    for i in range(30):
        col.handle("s", orjson.dumps({"backend": f"b{i}", "ok": False, "ts": NOW}))
    assert errors.get("exports", "unlisted_backend") == 30
    backends = {dict(labels)["backend"] for (name, labels) in sample_values(col)
                if name == "soak_timeseries_export_errors_total"}
    assert len(backends) == 11 and "other" in backends and "prometheus" in backends


def test_exports_true_and_a_backend_list_are_both_valid_config():
    assert parse_config({"exports": True}).exports.backends == ()
    assert parse_config({"exports": {"backends": ["prometheus", "influxdb"]}}).exports.backends == (
        "prometheus", "influxdb")
    with pytest.raises(ValueError, match=r"invalid config: exports\.backends must be a list"):
        parse_config({"exports": {"backends": "prometheus"}})


def test_manifest_figures_that_are_not_counts_are_counted_once_and_ignored(tmp_path):
    path = tmp_path / "run_manifest.json"
    path.write_text(json.dumps({"harvester_metrics": {"queue_dropped": 1e300, "reconnect_count": 2},
                                "timeseries_export": {"export_count": -4, "error_count": 0},
                                "status": {"processes": {"signal": {"restart_count": 1.5}}}}))
    errors = ErrorCounter()
    reader = ManifestReader(str(path), errors)
    reader.refresh()
    reader.refresh()
    assert errors.get("manifest", "bad_value") == 1
    assert reader.harvester() == {"reconnect_count": 2}
    assert reader.exports() == ("unknown", 0, 0)
    assert reader.restart_counts() == {}


def test_sink_record_times_in_the_future_leave_parity_but_still_count(tmp_path):
    errors = ErrorCounter()
    col = SinkCollector(SinksConfig(jsonl=tmp_path / "s.jsonl"), errors, clock=lambda: NOW)
    records = col._timed("jsonl", [SinkRecord(NOW, True, False), SinkRecord(1e18, True, True),
                                   SinkRecord(float("inf"), False, False)])
    assert [r.ts for r in records] == [NOW, None, None]
    assert errors.get("sinks", "jsonl_future_ts") == 2
    assert value(col, "soak_sink_signals_total", sink="jsonl", kind="total") == 0  # exposed at 0
