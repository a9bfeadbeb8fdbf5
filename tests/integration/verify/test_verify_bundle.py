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
    assert manifest["restart_backoff_pattern"] is None  # the supervisor's delays: only --run-manifest has them
    assert manifest["restart_backoff_pattern_note"] == "restart_backoff_pattern: unknown, no --run-manifest given"
    assert manifest["restart_downtimes_seconds"] == [4.0]
    assert manifest["harvester_metrics"] == {"queue_dropped": 0, "substream_timeout_detected": False,
                                             "reconnect_count": 1}
    assert manifest["resource_usage"]["max_rss_mb"] == max(
        p["max_rss_mb"] for p in manifest["resource_usage"]["per_process"].values())
    assert 200 < manifest["resource_usage"]["max_rss_mb"] < 210
    assert manifest["resource_usage"]["max_open_files"] == 47  # 40 + len("harvest")
    assert manifest["timeseries_export"] == {"export_count": 72, "error_count": 0,  # one per 50 s
                                             "last_export_time": soaks.at("pass", 3900)}
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
    assert source["prometheus_url"] == soaks.url and source["criteria_used"] == list(ORDER)
    assert source["data_source_endpoint"] is None and source["symbols"] is None  # no --run-manifest
    assert source["session_start"] == soaks.at("resources", 300)
    assert source["config_snapshot"]["min_coverage"] == 0.9
    queries = load(out, "queries.json")["queries"]
    owners = {q["owner"] for q in queries}
    assert owners == {*ORDER, "evidence", "sources"}
    assert all(q["status"] == "success" and "result" in q for q in queries)
    assert any(q["query"].startswith("max by (process) (max_over_time(soak_process_open_fds[3600s]))")
               for q in queries)
    suite = ET.parse(out / "junit.xml").getroot()
    failures = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failures == {"resources"} and suite.get("tests") == "14"
    report = (out / "report.md").read_text()
    assert "| `resources` | FAIL |" in report and "| report | FAIL |" in report


def test_shutdown_order_seen_only_when_the_order_matched(soaks: Soaks, tmp_path: Path, capsys):
    code, out = bundle(soaks, "shutdown_order", tmp_path, "--only", "shutdown_order")
    manifest = load(out, "run_manifest.json")
    assert code == 1 and load(out, "verdict.json")["criteria"][0]["result"] == "fail"
    assert manifest["shutdown_order"] == ["harvest", "signal", "broker", "report"]
    assert manifest["shutdown_order_seen"] is False
    code, out = bundle(soaks, "pass", tmp_path, "--only", "shutdown_order")
    assert code == 0 and load(out, "run_manifest.json")["shutdown_order_seen"] is True


RUN = {
    "run_id": "20260101T000500Z-ab12", "region": "ap-northeast-1", "restart_backoff_pattern": [1, 2],
    "status": {"state": "finished", "processes": {"signal": {"restart_count": 1}}},
    "run": {"minutes": 60, "symbols": ["BTCUSDT", "ETHUSDT"], "nats_url": "nats://pipe:n4ts-Secret@127.0.0.1:4222"},
}


def run_manifest_file(tmp_path: Path) -> Path:
    path = tmp_path / "run_manifest_20260101.json"
    path.write_text(json.dumps(RUN))
    return path


def test_run_manifest_gives_backoff_symbols_region_and_run_id(soaks: Soaks, tmp_path: Path, capsys):
    path = run_manifest_file(tmp_path)
    code, out = bundle(soaks, "pass", tmp_path, "--run-manifest", str(path))
    assert code == 0
    manifest, source = load(out, "run_manifest.json"), load(out, "source_manifest.json")
    assert (manifest["restart_backoff_pattern"], manifest["restart_downtimes_seconds"]) == ([1.0, 2.0], [4.0])
    assert "restart_backoff_pattern_note" not in manifest and manifest["run_id"] == RUN["run_id"]
    assert (source["run_id"], source["run_manifest"]) == (RUN["run_id"], str(path))
    assert (source["symbols"], source["region"]) == (["BTCUSDT", "ETHUSDT"], "ap-northeast-1")
    assert source["data_source_endpoint"] == "nats://127.0.0.1:4222" and source["notes"] == []
    assert source["prometheus_url"] == soaks.url


def test_daily_reports_per_sink_match_the_run_manifest(soaks: Soaks, tmp_path: Path, capsys):
    code, out = bundle(soaks, "sink_parity", tmp_path, "--run-manifest", str(run_manifest_file(tmp_path)))
    assert code == 1
    manifest, parity = load(out, "run_manifest.json"), load(out, "parity_diff.json")
    for sink, total in (("jsonl", 7200), ("sqlite", 6984)):
        report = load(out, f"daily_report_{sink}.json")
        assert report["sink"] == sink and report["report_tz"] == "Asia/Tokyo" and report["verdict"] == "fail"
        assert report["signals"]["total"] == total == parity[sink]["total"]
        assert report["signals"]["strong"] == parity[sink]["strong"]
        assert abs(report["signals"]["strong_ratio"] - 0.2) < 0.001
        for key in ("alerts", "harvester_metrics", "timeseries_export"):
            assert report[key] == manifest[key], key
        state = report["runtime_state"]
        assert (state["run_id"], state["run_state"], state["as_of"]) == (
            RUN["run_id"], "finished", soaks.at("sink_parity", 3900))
        assert {p: row["restart_count"] for p, row in state["processes"].items()} == {
            p: row["restart_count"] for p, row in manifest["status"]["processes"].items()}
        assert not any(row["up"] or row["healthy"] for row in state["processes"].values())  # all exited by the end
        text = (out / f"daily_report_{sink}.md").read_text()
        assert report["report_date"] == soaks.at("sink_parity", 3900)[:10]
        assert text.startswith(f"# Daily report: {sink} sink, {report['report_date']} (Asia/Tokyo)")
        assert f"| {total} |" in text and "| SoakProcessRestarted | warning |" in text


def test_no_bundle_file_holds_a_password_given_in_a_url(soaks: Soaks, tmp_path: Path, capsys):
    secret_url = soaks.url.replace("http://", "http://reader:pr0m-Secret@") + "/?token=t0ken-Secret"
    out = tmp_path / "evidence"
    code = main(["--prometheus-url", secret_url, *soaks.args("pass")[2:], "--out", str(out),
                 "--run-manifest", str(run_manifest_file(tmp_path)), "--format", "json"])
    printed = capsys.readouterr()
    assert code == 0 and sorted(p.name for p in out.iterdir()) == sorted(FILES)
    for path in out.iterdir():
        text = path.read_text()
        for secret in ("pr0m-Secret", "t0ken-Secret", "n4ts-Secret"):
            assert secret not in text, f"{secret} leaked into {path.name}"
    assert not any(s in printed.out + printed.err for s in ("pr0m-Secret", "t0ken-Secret", "n4ts-Secret"))
