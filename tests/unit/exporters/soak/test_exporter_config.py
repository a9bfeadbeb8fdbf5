"""The soak exporter's config: env expansion, defaults, and `invalid config:` errors naming field and rule."""

import dataclasses

import pytest
import yaml

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.envexpand import expand
from soakwatch.exporters.soak.config import demo_config_path, load_config, parse_config


def test_expand_defaults_and_values():
    env = {"A": "x", "EMPTY": ""}
    assert expand("${A}/${B:-dflt}/${EMPTY:-e}/${A:-no}", "f", env) == "x/dflt/e/x"


def test_expand_unset_without_default_names_field_and_variable():
    with pytest.raises(ConfigError, match=r"^invalid config: sinks.jsonl uses \$\{NOPE\} but NOPE is not set"):
        parse_config({"sinks": {"jsonl": "${NOPE}/s.jsonl"}}, environ={})


def test_example_config_loads(repo_root):
    config = load_config(repo_root / "examples" / "soak.yaml", environ={})
    assert set(config.processes.match) == {"harvest", "signal", "broker", "report"}
    assert config.processes.match["broker"].name.pattern == "^python"
    assert config.health.http[0].url == "http://127.0.0.1:8081/health"
    assert str(config.sinks.jsonl) == ".soakwatch/demo/signals.jsonl"
    assert config.nats_url == "nats://127.0.0.1:4222" and config.listen_address == "0.0.0.0:9465"


def test_demo_config_follows_state_dir_and_matches_worker_cmdlines(tmp_path):
    config = load_config("demo", environ={"SOAKWATCH_STATE_DIR": str(tmp_path)})
    assert demo_config_path().is_file()
    assert config.sinks.jsonl == tmp_path / "demo" / "signals.jsonl"
    assert config.sinks.sqlite == tmp_path / "demo" / "signals.sqlite"
    assert config.manifest.path == f"{tmp_path}/demo/run_manifest.json"
    assert config.state_file == tmp_path / "demo" / "exporter_state.json" and config.run_id is None
    assert config.exports.backends == ("prometheus",)  # the demo reporter's default TIMESERIES_TYPE
    other = load_config("demo", environ={"TIMESERIES_TYPE": "influxdb", "SOAK_RUN_ID": "20261130T1200Z-ab12"})
    assert other.exports.backends == ("influxdb",) and other.run_id == "20261130T1200Z-ab12"
    assert config.nats_url is None  # NATS comes from --nats-url / NATS_URL
    match = config.processes.match["signal"].cmdline
    assert match.search("/usr/bin/python3 -m soakwatch.demo.worker signal --rate 5")
    assert not match.search("/usr/bin/python3 -m soakwatch.demo.worker signaller")
    assert not config.processes.match["harvest"].cmdline.search("python -m soakwatch.demo.worker signal")


def test_sections_switch_collectors_on_and_off():
    config = parse_config({"signals": True, "harvester": {"enabled": False}, "processes": {}})
    assert config.signals.subject == "signal.>" and config.harvester is None and config.exports is None
    assert set(config.processes.match) == {"harvest", "signal", "broker", "report"}
    assert config.needs_nats()
    assert not parse_config({"processes": {}}).needs_nats()


def test_health_processes_default_to_matched_names():
    config = parse_config({"processes": {"match": {"a": "x"}}, "health": {}})
    assert config.health.processes == ("a",)


def test_config_is_frozen():
    config = parse_config({"signals": True})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.signals = None


@pytest.mark.parametrize(("data", "message"), [
    ({"processes": {"interval": 0}}, "processes.interval must be > 0, got 0"),
    ({"processes": {"interval": "soon"}}, "processes.interval must be a number, got 'soon'"),
    ({"processes": {"match": {"sig": {"cmdline": "("}}}}, "processes.match.sig.cmdline must be a valid regular"),
    ({"processes": {"match": {"sig": {}}}}, "processes.match.sig must set name and/or cmdline"),
    ({"processes": {"match": {"bad name": "x"}}}, "processes.match must be a label value"),
    ({"processes": {"intervall": 5}}, "processes.intervall is not a known field"),
    ({"sinks": {"table": "signals"}}, "sinks must set jsonl and/or sqlite"),
    ({"sinks": {"sqlite": "a.db", "table": "x; drop"}}, "sinks.table must be an SQL identifier"),
    ({"health": {"http": [{"process": "a", "url": "ftp://x"}]}}, "health.http[0].url must be an http(s):// URL"),
    ({"health": {"missing_after": -1}}, "health.missing_after must be > 0"),
    ({"manifest": {}}, "manifest.path is required"),
    ({"signals": {"enabled": "yes"}}, "signals.enabled must be true or false"),
    ({"signal": True}, "signal is not a known field"),
    ({"processes": []}, "processes must be a mapping"),
])
def test_bad_config_names_field_and_rule(data, message):
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert str(info.value).startswith("invalid config: " + message)


def test_env_numbers_are_accepted():
    config = parse_config({"processes": {"interval": "${IV:-2.5}"}}, environ={})
    assert config.processes.interval == 2.5


def test_missing_and_bad_yaml_files(tmp_path):
    with pytest.raises(ConfigError, match=r"^invalid config: --config must be a readable file"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("processes: [\n")
    with pytest.raises(ConfigError, match=r"^invalid config: --config must be valid YAML"):
        load_config(bad)
    assert yaml.safe_load(demo_config_path().read_text())["sinks"]["interval"] == 1
