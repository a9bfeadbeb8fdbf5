"""The renderer rewrites only addresses: scrape targets, the Alertmanager target, paths and webhook URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from soakwatch.errors import ConfigError
from soakwatch.stack import render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stack"
PORTS = {"prometheus": 1, "pushgateway": 2, "probe": 3, "exporter": 4, "alertmanager": 5, "alert_log": 6}

PROM = {
    "global": {"scrape_interval": "5s"},
    "rule_files": ["rules/*.yml", "/abs/other.yml"],
    "alerting": {"alertmanagers": [{"scheme": "http", "static_configs": [{"targets": ["127.0.0.1:9093"]}]}]},
    "scrape_configs": [
        {"job_name": "soak_probe", "static_configs": [{"targets": ["127.0.0.1:9464"], "labels": {"env": "soak"}}]},
        {"job_name": "pushgateway", "honor_labels": True, "static_configs": [{"targets": ["127.0.0.1:9091"]}]},
        {"job_name": "someone_else", "static_configs": [{"targets": ["10.0.0.1:80"]}]},
        {"job_name": "alertmanager", "static_configs": [{"targets": ["127.0.0.1:9093", "127.0.0.1:9999"]}]},
    ],
}
AM = {
    "route": {"receiver": "default"},
    "templates": ["templates/*.tmpl"],
    "receivers": [
        {"name": "critical", "webhook_configs": [{"url": "http://127.0.0.1:9096/alerts", "send_resolved": True}]},
        {"name": "default", "webhook_configs": [{"url": "http://127.0.0.1:9096/alerts"}]},
        {"name": "team-x", "webhook_configs": [{"url": "https://hooks.example/x"}]},
        {"name": "mail", "email_configs": [{"to": "a@example.org"}]},
    ],
}


def test_prometheus_targets_rules_and_alertmanager_are_rewritten():
    out = render.render_prometheus(PROM, render.local_targets(PORTS), Path("/cfg/prometheus"))
    jobs = {job["job_name"]: job for job in out["scrape_configs"]}
    assert jobs["soak_probe"]["static_configs"] == [{"targets": ["127.0.0.1:3"], "labels": {"env": "soak"}}]
    assert jobs["pushgateway"] == {"job_name": "pushgateway", "honor_labels": True,
                                   "static_configs": [{"targets": ["127.0.0.1:2"]}]}
    assert jobs["someone_else"] == PROM["scrape_configs"][2]
    assert jobs["alertmanager"]["static_configs"] == [{"targets": ["127.0.0.1:5", "127.0.0.1:9999"]}]
    assert out["rule_files"] == ["/cfg/prometheus/rules/*.yml", "/abs/other.yml"]
    assert out["alerting"]["alertmanagers"] == [{"scheme": "http", "static_configs": [{"targets": ["127.0.0.1:5"]}]}]
    assert out["global"] == PROM["global"] and "remote_write" not in out


def test_remote_write_is_added_for_victoria_metrics():
    targets = render.local_targets(PORTS, ["http://127.0.0.1:7/api/v1/write"])
    out = render.render_prometheus(PROM, targets, Path("/cfg"))
    assert out["remote_write"] == [{"url": "http://127.0.0.1:7/api/v1/write"}]


def test_webhooks_point_at_the_alert_log_unless_the_environment_names_a_url():
    env = {"SOAK_WEBHOOK_CRITICAL_URL": "https://hooks.example/secret", "SOAK_WEBHOOK_DEFAULT_URL": ""}
    out = render.render_alertmanager(AM, "127.0.0.1:6", Path("/cfg/alerting"), env)
    hooks = {r["name"]: r.get("webhook_configs") for r in out["receivers"]}
    assert hooks["critical"] == [{"url": "https://hooks.example/secret", "send_resolved": True}]
    assert hooks["default"] == [{"url": "http://127.0.0.1:6/alerts"}]
    assert hooks["team-x"] == [{"url": "https://hooks.example/x"}]
    assert hooks["mail"] is None
    assert out["templates"] == ["/cfg/alerting/templates/*.tmpl"]
    assert render.webhook_env("team-x") == "SOAK_WEBHOOK_TEAM_X_URL"


def test_compose_targets_use_service_names(tmp_path):
    written = render.render_all(FIXTURES, tmp_path, render.compose_targets(), env={})
    prom = yaml.safe_load(written["prometheus"].read_text())
    targets = {j["job_name"]: j["static_configs"][0]["targets"] for j in prom["scrape_configs"]}
    assert targets == {"prometheus": ["localhost:9090"], "soak_probe": ["probe:9464"],
                       "soak_exporter": ["exporter:9465"], "pushgateway": ["pushgateway:9091"]}
    am = yaml.safe_load(written["alertmanager"].read_text())
    assert {h["url"] for r in am["receivers"] for h in r["webhook_configs"]} == {"http://alert-log:9096/alerts"}
    assert written["alertmanager"].stat().st_mode & 0o077 == 0


def test_config_dir_from_flag_env_or_checkout(tmp_path, monkeypatch):
    assert render.find_config_dir(str(FIXTURES)) == FIXTURES.resolve()
    monkeypatch.setenv(render.CONFIG_DIR_ENV, str(FIXTURES))
    assert render.find_config_dir() == FIXTURES.resolve()
    with pytest.raises(ConfigError, match=r"invalid config: --config-dir .* must be a folder holding prometheus/"):
        render.find_config_dir(str(tmp_path))


def test_bad_yaml_names_the_file(tmp_path):
    bad = tmp_path / "prometheus.yml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match=f"invalid config: {bad} must be a YAML mapping"):
        render.load_yaml(bad)


def test_render_config_command_writes_both_files(tmp_path, capsys):
    assert render.main(["--config-dir", str(FIXTURES), "--hosts", "local", "--out", str(tmp_path)]) == 0
    prom = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    assert prom["alerting"]["alertmanagers"][0]["static_configs"] == [{"targets": ["127.0.0.1:9093"]}]
    assert f"wrote {tmp_path / 'alertmanager.yml'}" in capsys.readouterr().out


def test_compose_moves_default_addresses_of_other_jobs_to_service_names():
    out = render.render_prometheus(PROM, render.compose_targets(), Path("/etc/soakwatch/prometheus"))
    jobs = {job["job_name"]: job for job in out["scrape_configs"]}
    assert jobs["alertmanager"]["static_configs"] == [{"targets": ["alertmanager:9093", "127.0.0.1:9999"]}]
    assert out["rule_files"][0] == "/etc/soakwatch/prometheus/rules/*.yml"


def test_render_config_command_without_configs_is_a_config_error(tmp_path, capsys):
    assert render.main(["--config-dir", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "invalid config: --config-dir" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_soak_jobs_get_the_runs_identity_as_target_labels():
    labels = render.identity_labels("dev", "20261130T162200Z-3fa9")
    out = render.render_prometheus(PROM, render.local_targets(PORTS, (), labels), Path("/cfg"))
    jobs = {job["job_name"]: job for job in out["scrape_configs"]}
    assert jobs["soak_probe"]["static_configs"] == [
        {"targets": ["127.0.0.1:3"], "labels": {"env": "soak", "pipeline": "dev", "run_id": "20261130T162200Z-3fa9"}}]
    assert jobs["pushgateway"]["static_configs"][0]["labels"] == labels  # honor_labels: pushed labels win
    assert jobs["someone_else"] == PROM["scrape_configs"][2]  # not a soak job: no identity
    assert "external_labels" not in out.get("global", {})  # target labels, so remote_write keeps them


def test_render_config_takes_the_identity_from_flags_or_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOAK_PIPELINE", "nightly")
    monkeypatch.setenv("SOAK_RUN_ID", "20261130T162200Z-3fa9")
    assert render.main(["--config-dir", str(FIXTURES), "--out", str(tmp_path)]) == 0
    prom = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    labels = {j["job_name"]: j["static_configs"][0].get("labels") for j in prom["scrape_configs"]}
    assert labels["soak_exporter"] == {"pipeline": "nightly", "run_id": "20261130T162200Z-3fa9"}
    assert labels["prometheus"] is None
    assert "pipeline nightly, run 20261130T162200Z-3fa9" in capsys.readouterr().out
    assert render.main(["--config-dir", str(FIXTURES), "--out", str(tmp_path), "--pipeline", "a b"]) == 2
    assert "--pipeline must be 1-64 characters" in capsys.readouterr().err
