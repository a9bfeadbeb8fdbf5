"""Alertmanager: the config and templates check clean, the routing tree is pinned, inhibition works for real."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from alerting_configs import ROOT, render_alertmanager

from soakwatch.stack import alertmanager, find_binary

CONFIG = ROOT / "alerting/alertmanager.yml"


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([find_binary("amtool"), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("path", ["alerting/alertmanager.yml", "alerting/examples/alertmanager-slack-email.yml"])
def test_check_config_is_clean(path):
    result = amtool("check-config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "1 templates" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=SoakProcessDown", "severity=critical", "process=signal"], "critical"),
        (["alertname=SoakSignalsStalled", "severity=critical"], "critical"),
        (["alertname=SoakProcessUnhealthy", "severity=warning", "process=signal"], "warning"),
        (["alertname=SoakLowConsistencyHigh", "severity=warning"], "warning"),
        (["alertname=SoakSomethingInformational", "severity=info"], "default"),
        (["alertname=Watchdog"], "default"),
    ],
)
def test_routes(labels, receiver):
    result = amtool("config", "routes", "test", f"--config.file={CONFIG}", f"--verify.receivers={receiver}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_routes_test_fails_on_the_wrong_receiver():
    result = amtool("config", "routes", "test", f"--config.file={CONFIG}", "--verify.receivers=warning",
                    "alertname=SoakProcessDown", "severity=critical")
    assert result.returncode != 0


def test_grouping_and_send_resolved():
    config = yaml.safe_load(CONFIG.read_text())
    assert config["route"]["group_by"] == ["alertname", "pipeline", "run_id", "process"]
    assert {r["name"] for r in config["receivers"]} == {"critical", "warning", "default"}
    webhooks = [w for r in config["receivers"] for w in r["webhook_configs"]]
    assert webhooks and all(w["send_resolved"] is True for w in webhooks)
    assert all(w["url"] == "http://127.0.0.1:9096/alerts" for w in webhooks)


def _template_data(tmp_path: Path, status: str) -> Path:
    alert = {
        "status": status,
        "labels": {"alertname": "SoakProcessDown", "severity": "critical", "process": "signal",
                   "pipeline": "dev", "run_id": "r1"},
        "annotations": {
            "summary": "A soak process is down and has not come back (pipeline dev, run r1).",
            "description": "Process signal has been down for 30s (soak_process_up = 0).",
            "runbook_url": "http://127.0.0.1:9096/runbooks/SoakProcessDown.md",
        },
        "startsAt": "2026-01-01T10:00:00Z",
        "endsAt": "2026-01-01T10:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "", "fingerprint": "1",
    }
    data = {
        "receiver": "critical", "status": status, "alerts": [alert],
        "groupLabels": {"alertname": "SoakProcessDown", "pipeline": "dev", "run_id": "r1", "process": "signal"},
        "commonLabels": alert["labels"], "commonAnnotations": alert["annotations"], "externalURL": "",
    }
    path = tmp_path / f"{status}.json"
    path.write_text(json.dumps(data))
    return path


def _render(template: str, data: Path, kind: str = "text") -> str:
    result = amtool("template", "render", "--template.glob=alerting/templates/*.tmpl",
                    f"--template.text={{{{ template \"{template}\" . }}}}", f"--template.data={data}",
                    f"--template.type={kind}")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_slack_templates_render_a_soak_alert(tmp_path):
    firing = _template_data(tmp_path, "firing")
    title = "SoakProcessDown pipeline=dev run=r1 process=signal"
    assert _render("soak.slack.title", firing).strip() == f"[FIRING:1] {title}"
    text = _render("soak.slack.text", firing)
    assert "*CRITICAL* A soak process is down and has not come back (pipeline dev, run r1)." in text
    assert "pipeline: dev, run: r1" in text
    assert "Process signal has been down for 30s (soak_process_up = 0)." in text
    assert "started: 2026-01-01 10:00:00 UTC" in text
    assert "runbook: http://127.0.0.1:9096/runbooks/SoakProcessDown.md" in text
    assert _render("soak.slack.color", firing).strip() == "danger"
    resolved = _template_data(tmp_path, "resolved")
    assert _render("soak.slack.title", resolved).strip() == f"[RESOLVED] {title}"
    assert "resolved: 2026-01-01 10:05:00 UTC" in _render("soak.slack.text", resolved)
    assert _render("soak.slack.color", resolved).strip() == "good"


def test_email_templates_render_a_soak_alert(tmp_path):
    firing = _template_data(tmp_path, "firing")
    assert _render("soak.email.subject", firing).strip() == (
        "soakwatch [FIRING:1] SoakProcessDown pipeline=dev run=r1 process=signal")
    html = _render("soak.email.html", firing, "html")
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<a href="http://127.0.0.1:9096/runbooks/SoakProcessDown.md">runbook</a>' in html
    assert "<b>CRITICAL</b> A soak process is down and has not come back (pipeline dev, run r1)." in html
    assert "pipeline: dev, run: r1, process: signal" in html
    assert "Process signal has been down" in _render("soak.email.text", firing)


def _post_alerts(url: str, alerts: list[dict]) -> None:
    request = urllib.request.Request(f"{url}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def _alert(name: str, severity: str, process: str | None = None) -> dict:
    labels = {"alertname": name, "severity": severity} | ({"process": process} if process else {})
    return {"labels": labels, "annotations": {"summary": f"{name}."}}


def _wait_for_lines(path: Path, count: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"{path}: fewer than {count} lines after {timeout} s")


def test_a_critical_for_a_process_inhibits_only_that_processs_warnings(tmp_path, alert_log):
    webhook, out = alert_log
    config = render_alertmanager(tmp_path, webhook, group_wait="1s", group_interval="1s")
    with alertmanager(tmp_path, config) as server:
        _post_alerts(server.url, [
            _alert("SoakProcessDown", "critical", "signal"),
            _alert("SoakProcessUnhealthy", "warning", "signal"),
            _alert("SoakProcessUnhealthy", "warning", "broker"),
            _alert("SoakSignalsStalled", "critical"),
            _alert("SoakLowConsistencyHigh", "warning"),
        ])
        lines = _wait_for_lines(out, 4, timeout=15)
        time.sleep(2)  # a wrongly routed fifth notification would arrive within another group interval
        with urllib.request.urlopen(f"{server.url}/api/v2/alerts", timeout=5) as response:
            states = {
                (a["labels"]["alertname"], a["labels"].get("process")): a["status"]["state"]
                for a in json.loads(response.read())
            }
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    delivered = {(r["alertname"], r["labels"].get("process"), r["receiver"]) for r in lines}
    assert delivered == {
        ("SoakProcessDown", "signal", "critical"),
        ("SoakProcessUnhealthy", "broker", "warning"),
        ("SoakSignalsStalled", None, "critical"),
        ("SoakLowConsistencyHigh", None, "warning"),
    }
    assert states[("SoakProcessUnhealthy", "signal")] == "suppressed"
    assert states[("SoakProcessUnhealthy", "broker")] == "active"
    assert states[("SoakLowConsistencyHigh", None)] == "active"


def _run_alert(name: str, severity: str, pipeline: str, run_id: str, process: str | None = None) -> dict:
    alert = _alert(name, severity, process)
    alert["labels"] |= {"pipeline": pipeline, "run_id": run_id}
    return alert


def test_pipelines_and_runs_are_grouped_and_inhibited_apart(tmp_path, alert_log):
    """A critical of dev's signal process leaves staging's warnings alone; every line names its pipeline and run."""
    webhook, out = alert_log
    config = render_alertmanager(tmp_path, webhook, group_wait="1s", group_interval="1s")
    with alertmanager(tmp_path, config) as server:
        _post_alerts(server.url, [
            _run_alert("SoakProcessDown", "critical", "dev", "r1", "signal"),
            _run_alert("SoakProcessUnhealthy", "warning", "dev", "r1", "signal"),
            _run_alert("SoakProcessUnhealthy", "warning", "staging", "r2", "signal"),
            _run_alert("SoakSignalsStalled", "critical", "dev", "r1"),
            _run_alert("SoakSignalsStalled", "critical", "staging", "r2"),
        ])
        _wait_for_lines(out, 4, timeout=15)
        time.sleep(2)  # a wrongly inhibited or grouped notification would arrive within another group interval
        with urllib.request.urlopen(f"{server.url}/api/v2/alerts", timeout=5) as response:
            states = {(a["labels"]["alertname"], a["labels"]["pipeline"]): a["status"]["state"]
                      for a in json.loads(response.read())}
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["alertname"], r["pipeline"], r["run_id"]) for r in lines) == [
        ("SoakProcessDown", "dev", "r1"),
        ("SoakProcessUnhealthy", "staging", "r2"),
        ("SoakSignalsStalled", "dev", "r1"),
        ("SoakSignalsStalled", "staging", "r2"),
    ]
    assert states[("SoakProcessUnhealthy", "dev")] == "suppressed"
    assert states[("SoakProcessUnhealthy", "staging")] == "active"
