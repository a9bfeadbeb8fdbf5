"""The evidence bundle filled from a real Prometheus: manifests, parity diff, JUnit and the query audit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from verify_support import Soaks

from soakwatch.verify.bundle import FILES
from soakwatch.verify.cli import main
from soakwatch.verify.criteria import ORDER


def bundle(soaks: Soaks, scenario: str, tmp_path: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / scenario
    code = main(soaks.args(scenario, "--out", str(out), "--tz", "Asia/Tokyo", *extra))
    return code, out


def load(out: Path, name: str) -> dict:
    return json.loads((out / name).read_text())


def test_run_manifest_has_the_orchestrator_fields(soaks: Soaks, tmp_path: Path, capsys):
    code, out = bundle(soaks, "pass", tmp_path)
    assert code == 0 and sorted(p.name for p in out.iterdir()) == sorted(FILES)
    manifest = load(out, "run_manifest.json")
    assert manifest["status"]["processes"] == {
        "broker": {"restart_count": 0}, "harvest": {"restart_count": 0}, "report": {"restart_count": 0},
        "signal": {"restart_count": 1}}
    assert manifest["restart_backoff_pattern"] == [4.0]
    assert manifest["harvester_metrics"] == {"queue_dropped": 0, "substream_timeout_detected": False,
                                             "reconnect_count": 1}
    assert manifest["resource_usage"]["max_rss_mb"] == max(
        p["max_rss_mb"] for p in manifest["resource_usage"]["per_process"].values())
    assert 200 < manifest["resource_usage"]["max_rss_mb"] < 210
    assert manifest["resource_usage"]["max_open_files"] == 47  # 40 + len("harvest")
    assert manifest["timeseries_export"] == {"export_count": 72, "error_count": 0}  # one per 50 s
    assert manifest["shutdown_order"] == ["report", "broker", "signal", "harvest"]
    assert manifest["shutdown_order_seen"] is True
    assert manifest["alerts"] == [{
        "rule_name": "SoakProcessRestarted", "level": "warning", "trigger_time": "2026-01-01T09:35:00+09:00",
        "recovery_time": "2026-01-01T09:36:00+09:00", "details": {"process": "signal"}}]
    assert manifest["alerts"][0]["trigger_time"] == soaks.at("pass", 2100)


def test_critical_alert_appears_in_manifest_and_fails(soaks: Soaks, tmp_path: Path, capsys):
    code, out = bundle(soaks, "no_critical_alerts", tmp_path)
    assert code == 1
    fired = [a for a in load(out, "run_manifest.json")["alerts"] if a["level"] == "critical"]
    assert [(a["rule_name"], a["trigger_time"], a["recovery_time"]) for a in fired] == [
        ("SoakSignalsStalled", soaks.at("no_critical_alerts", 3300), soaks.at("no_critical_alerts", 3480))]
    verdict = load(out, "verdict.json")
    alerts = next(c for c in verdict["criteria"] if c["id"] == "no_critical_alerts")
    assert alerts["notes"] == ["fired: SoakSignalsStalled"]


def test_parity_diff_reports_pct_and_window_alignment(soaks: Soaks, tmp_path: Path, capsys):
    _, out = bundle(soaks, "sink_parity", tmp_path, "--only", "sink_parity")
    parity = load(out, "parity_diff.json")
    assert parity["total_diff_pct"] == parity["confirm_diff_pct"] == 3.0  # the exporter's gauge: 0.03
    assert parity["strong_ratio_diff_pct"] == 0.0
    assert (parity["threshold_pct"], parity["pass"]) == (0.5, False)
    assert parity["jsonl"]["total"] == 7200 and parity["sqlite"]["total"] == 6984  # gained in the window
    assert 2.9 < parity["window_counts_diff_pct"]["total"] < 3.1
    window = parity["window"]
    assert (window["start_local"], window["end_local"]) == (soaks.at("sink_parity", 300), soaks.at("sink_parity", 3900))
    assert window["end"] - window["start"] == 3600 and "soak_sink_parity_diff_ratio" in window["alignment"]


def test_source_manifest_queries_and_junit(soaks: Soaks, tmp_path: Path, capsys):
    code, out = bundle(soaks, "resources", tmp_path, "--format", "json")
    assert code == 1
    printed = json.loads(capsys.readouterr().out)
    assert load(out, "verdict.json") == printed
    source = load(out, "source_manifest.json")
    assert source["data_source_endpoint"] == soaks.url and source["criteria_used"] == list(ORDER)
    assert source["session_start"] == soaks.at("resources", 300)
    assert source["config_snapshot"]["min_coverage"] == 0.9
    queries = load(out, "queries.json")["queries"]
    owners = {q["owner"] for q in queries}
    assert owners == {*ORDER, "evidence"}
    assert all(q["status"] == "success" and "result" in q for q in queries)
    assert any(q["query"].startswith("max by (process) (max_over_time(soak_process_open_fds[3600s]))")
               for q in queries)
    suite = ET.parse(out / "junit.xml").getroot()
    failures = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failures == {"resources"} and suite.get("tests") == "14"
    report = (out / "report.md").read_text()
    assert "| `resources` | FAIL |" in report and "| report | FAIL |" in report
