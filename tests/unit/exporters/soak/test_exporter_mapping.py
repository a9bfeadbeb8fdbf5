"""Config of field mappings, alternate sources and the probe section; the collectors with a mapping applied."""

import json
import os

import orjson
import pytest
import yaml

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.config_dump import dump
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.exporters.soak.harvester import HarvesterCollector
from soakwatch.exporters.soak.health import HealthCollector
from soakwatch.exporters.soak.health_http import HttpHealthPoller
from soakwatch.exporters.soak.manifest import ManifestReader
from soakwatch.exporters.soak.source_info import sources
from soakwatch.testing.samples import value

MAPPED = {
    "health": {"subject_prefix": "app.status", "processes": ["ingest"], "fields": {"status": "state"},
               "values": {"status": {"ok": "healthy", "warn": "degraded", "down": "unhealthy"}}},
    "harvester": {"subject": "app.ingest.stats", "fields": {"queue_dropped": "dropped", "reconnect_count": "reconnects",
                                                            "queue_depth": "backlog"}},
    "signals": {"subject": "app.signal.>", "fields": {"confirm": "confirmed", "strong": "is_strong",
                                                      "consistency": "quality", "gating": "gate"},
                "values": {"consistency": {"good": "ok", "bad": "low"}}},
    "exports": {"subject": "app.export", "fields": {"backend": "target", "ok": "success", "error": "err"}},
    "probe": {"subjects": ["app.px.>"], "ts_field": "t_ms", "ts_unit": "ms", "seq_field": "n"},
}


def test_mapped_config_subscribes_to_the_pipelines_subjects_and_dumps_the_mapping():
    config = parse_config(MAPPED)
    exporter = SoakExporter(config)
    assert [s for s, _ in exporter.subscriptions()] == ["app.status.*", "app.ingest.stats", "app.signal.>",
                                                          "app.export"]
    printed = yaml.safe_load(dump(config))
    assert printed["health"]["fields"] == {"status": "state"} and printed["health"]["source"] == "heartbeats"
    assert printed["signals"]["values"] == {"consistency": {"good": "ok", "bad": "low"}}
    assert printed["probe"] == {"subjects": ["app.px.>"], "ts_field": "t_ms", "ts_unit": "ms", "seq_field": "n"}
    assert config.probe.argv() == ["--subject", "app.px.>", "--ts-field", "t_ms", "--ts-unit", "ms",
                                   "--seq-field", "n"]
    assert "fields" not in yaml.safe_load(dump(parse_config({"signals": True})))["signals"]


def test_collectors_apply_the_mapping_to_nats_payloads():
    exporter = SoakExporter(parse_config(MAPPED))
    exporter.health.handle("app.status.ingest", b'{"state": "ok"}')
    exporter.health.handle("app.status.ingest", b'{"state": "warn"}')
    exporter.health.handle("app.status.ingest", b'{"status": "healthy"}')  # the contract name is not read
    exporter.harvester.handle("app.ingest.stats", b'{"dropped": 2, "reconnects": 1, "backlog": 7}')
    for quality, strong in (("good", True), ("bad", False), ("bad", 1)):
        exporter.signals.handle("app.signal.x", orjson.dumps({"confirmed": True, "is_strong": strong,
                                                              "quality": quality, "gate": "spread"}))
    exporter.exports.handle("app.export", orjson.dumps({"target": "influx", "success": True, "err": None}))
    assert value(exporter.health, "soak_health_checks_total", process="ingest", status="healthy") == 1
    assert value(exporter.health, "soak_health_checks_total", process="ingest", status="degraded") == 1
    assert exporter.errors.get("health", "unknown_status") == 1
    assert value(exporter.harvester, "soak_harvester_queue_dropped_total") == 2
    assert value(exporter.harvester, "soak_harvester_reconnects_total") == 1
    assert value(exporter.harvester, "soak_harvester_queue_depth") == 7
    assert value(exporter.signals, "soak_signals_total") == 3
    assert value(exporter.signals, "soak_signals_strong_total") == 2
    assert value(exporter.signals, "soak_signals_low_consistency_total") == 2
    assert value(exporter.signals, "soak_signals_gated_total", reason="spread") == 3
    assert value(exporter.exports, "soak_timeseries_exports_total", backend="influx") == 1


def test_a_mapped_process_field_names_the_process_on_the_bare_prefix():
    config = parse_config({"health": {"subject_prefix": "app.status", "processes": ["ingest", "score"],
                                      "fields": {"process": "service", "status": "state"}}})
    health = HealthCollector(config.health, errors := ErrorCounter())
    assert health.subjects() == ["app.status.*", "app.status"]
    health.handle("app.status", b'{"service": "score", "state": "healthy"}')
    health.handle("app.status", b'{"service": "other", "state": "healthy"}')
    health.handle("app.status", b'{"state": "healthy"}')
    assert value(health, "soak_health_checks_total", process="score", status="healthy") == 1
    assert errors.get("health", "unknown_process") == 2


def test_the_http_health_body_is_mapped_too():
    config = parse_config({"health": {"source": "http", "fields": {"status": "state"},
                                      "values": {"status": {"UP": "healthy"}},
                                      "http": [{"process": "api", "url": "http://127.0.0.1:1/h"}]}})
    assert config.health.processes == ("api",)
    health = HealthCollector(config.health, errors := ErrorCounter())
    poller = HttpHealthPoller(config.health.http[0], health, errors, get=lambda url, timeout: (200, b'{"state":"UP"}'))
    assert poller.poll() == "healthy"
    pairs = b'[["state","UP"]]'  # a JSON list that dict() would take: still not an object
    poller = HttpHealthPoller(config.health.http[0], health, errors, get=lambda url, timeout: (200, pairs))
    assert poller.poll() is None and errors.get("health_http", "bad_json") == 1
    assert SoakExporter(config).subscriptions() == [] and not config.needs_nats()


def test_liveness_counts_one_check_per_process_healthy_when_up():
    config = parse_config({"processes": {"match": {"ingest": "ingest", "score": "score"}},
                           "health": {"source": "liveness"}})
    assert config.health.processes == ("ingest", "score") and not config.needs_nats()
    exporter = SoakExporter(config)
    assert [loop[0] for loop in exporter._loops()].count("health") == 1
    exporter._liveness_check()  # before the first scan of the processes: nothing is counted
    assert value(exporter.health, "soak_health_checks_total", process="ingest", status="missing") == 0
    exporter.processes.up_states = lambda: {"ingest": True, "score": False}
    exporter._liveness_check()
    exporter._liveness_check()
    assert value(exporter.health, "soak_health_checks_total", process="ingest", status="healthy") == 2
    assert value(exporter.health, "soak_health_checks_total", process="score", status="missing") == 2
    assert ("health", "liveness") in sources(config)


def test_harvester_from_the_manifest_never_goes_back(tmp_path):
    path = tmp_path / "run_manifest.json"
    config = parse_config({"manifest": {"path": str(path)}, "harvester": {"source": "manifest",
                                                                          "fields": {"queue_dropped": "dropped"}}})
    assert SoakExporter(config).subscriptions() == []
    errors = ErrorCounter()
    manifest = ManifestReader(str(path), errors)
    col = HarvesterCollector(errors, manifest, mapping=config.harvester.mapping)
    for n, (dropped, reconnects) in enumerate(((3, 1), (5, 1), (1, 0))):  # the last one: a new run's manifest
        path.write_text(json.dumps({"harvester_metrics": {"dropped": dropped, "reconnect_count": reconnects}}))
        os.utime(path, (1e9 + n, 1e9 + n))
        manifest.refresh()
        col.poll_manifest()
        col.poll_manifest()  # the same file again changes nothing
    assert value(col, "soak_harvester_queue_dropped_total") == 6
    assert value(col, "soak_harvester_reconnects_total") == 1
    assert value(col, "soak_harvester_stats_received_total") == 3
    assert value(col, "soak_harvester_last_update_timestamp_seconds") == 1e9 + 2


def test_signals_from_the_jsonl_sink_are_mapped_and_not_restored_from_the_state_file(tmp_path):
    sink = tmp_path / "signals.jsonl"
    sink.write_text("".join(json.dumps({"confirmed": True, "is_strong": i == 0, "quality": "bad"}) + "\n"
                            for i in range(3)) + '{"confirmed": true')
    config = parse_config({"sinks": {"jsonl": str(sink)}, "exporter": {"state_file": str(tmp_path / "s.json")},
                           "signals": {"source": "jsonl", "fields": {"confirm": "confirmed", "strong": "is_strong",
                                                                     "consistency": "quality"},
                                       "values": {"consistency": {"bad": "low"}}}})
    exporter = SoakExporter(config)
    assert exporter.subscriptions() == [] and "signals" not in exporter.state._parts
    exporter._poll_signal_file()
    assert value(exporter.signals, "soak_signals_total") == 3  # the cut last line waits for its newline
    assert value(exporter.signals, "soak_signals_strong_total") == 1
    assert value(exporter.signals, "soak_signals_low_consistency_total") == 3
    with sink.open("a") as handle:
        handle.write("}\nnot json\n")
    exporter._poll_signal_file()
    assert value(exporter.signals, "soak_signals_confirmed_total") == 4
    assert exporter.errors.get("signals", "jsonl_bad_json") == 1
    exporter.close()


@pytest.mark.parametrize(("data", "message"), [
    ({"health": {"source": "pings"}}, r"health.source must be one of heartbeats, http, liveness, got 'pings'"),
    ({"health": {"source": "http"}}, r"health.source http needs a non-empty health.http list"),
    ({"health": {"source": "liveness"}}, r"health.source liveness needs the processes section"),
    ({"processes": {"match": {"a": "a"}}, "health": {"source": "liveness", "processes": ["a", "b"]}},
     r"health.processes liveness needs every process in processes.match, not 'b'"),
    ({"processes": True, "health": {"source": "liveness", "http": [{"process": "a", "url": "http://x/h"}]}},
     r"health.http is not read with source liveness"),
    ({"signals": {"source": "jsonl"}}, r"signals.source jsonl needs sinks.jsonl"),
    ({"signals": {"source": "sqlite"}}, r"signals.source must be one of nats, jsonl"),
    ({"harvester": {"source": "manifest"}}, r"harvester.source manifest needs the manifest section"),
    ({"exports": {"source": "manifest"}}, r"exports.source must be one of nats, got 'manifest'"),
    ({"exports": {"fields": {"backend": "target", "when": "t"}}}, r"exports.fields.when is not a contract field"),
    ({"harvester": {"values": {"dropped": {"a": 1}}}}, r"harvester.values.dropped is not a contract field"),
    ({"probe": {"ts_unit": "minutes"}}, r"probe.ts_unit must be one of ms, ns, s, us, got 'minutes'"),
    ({"probe": {"subjects": [""]}}, r"probe.subjects must be a list of NATS subjects"),
    ({"probe": {"seq": "n"}}, r"probe.seq is not a known field"),
])
def test_bad_sources_and_probe_settings_name_the_field(data, message):
    with pytest.raises(ConfigError, match=rf"^invalid config: {message}"):
        parse_config(data)


def test_source_info_names_every_enabled_kind(tmp_path):
    config = parse_config({"processes": True, "health": {"source": "liveness", "processes": ["signal"]},
                           "harvester": {"source": "manifest"}, "manifest": {"path": "m.json"},
                           "sinks": {"jsonl": "s.jsonl", "sqlite": "s.db"}, "signals": {"source": "jsonl"},
                           "exports": True})
    assert sources(config) == [("health", "liveness"), ("harvester", "manifest"), ("signals", "jsonl"),
                               ("exports", "nats"), ("sinks", "jsonl+sqlite"), ("manifest", "file"),
                               ("processes", "scan")]
    assert sources(parse_config({"health": {"http": [{"process": "a", "url": "http://x/h"}]}})) == [
        ("health", "heartbeats+http")]
