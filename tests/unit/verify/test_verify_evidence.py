"""Evidence documents built from canned Prometheus answers: run manifest, source manifest, daily reports."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from soakwatch.verify import daily, manifest
from soakwatch.verify.config import default_settings
from soakwatch.verify.facts import gather
from soakwatch.verify.formats import daily_markdown
from soakwatch.verify.querier import Querier, QueryLog
from soakwatch.verify.runinfo import RunInfo, parse_run_info
from soakwatch.verify.window import Window

RAW = re.compile(r"^[A-Za-z_:][\w:]*(\{[^}]*\})?\[\d+s\]$")
WINDOW = Window.ending(1767229200, 3600)  # 2026-01-01T00:00:00Z .. 01:00:00Z (09:00 .. 10:00 in Tokyo)
TOKYO = ZoneInfo("Asia/Tokyo")
Rows = list[tuple[dict[str, str], Any]]


class FakeProm:
    """Answers a query containing one of its keys with that key's series; anything else with nothing."""

    url = "http://127.0.0.1:9090"

    def __init__(self, instant: dict[str, Rows], ranges: dict[str, Rows] | None = None) -> None:
        self.instant, self.ranges = instant, ranges or {}

    def query(self, expr: str, at: float) -> dict[str, Any]:
        rows = next((rows for key, rows in self.instant.items() if key in expr), [])
        if RAW.match(expr):  # every raw sample: a base of 0 before the window, the value near its end
            return {"resultType": "matrix", "result": [
                {"metric": m, "values": [[WINDOW.start - 10, "0"], [at - 5, str(v)]]} for m, v in rows]}
        return {"resultType": "vector", "result": [{"metric": m, "value": [at, str(v)]} for m, v in rows]}

    def query_range(self, expr: str, start: float, end: float, step: float) -> dict[str, Any]:
        rows = next((rows for key, rows in self.ranges.items() if key in expr), [])
        return {"resultType": "matrix",
                "result": [{"metric": m, "values": [[t, str(v)] for t, v in points]} for m, points in rows]}


def per_process(**values: float) -> Rows:
    return [({"process": p}, v) for p, v in values.items()]


def exits(order: list[str], still_running: tuple[str, ...] = ()) -> dict[str, Rows]:
    """Start and exit times: ``order`` exited one second apart near the window's end."""
    return {
        "soak_process_start_time_seconds": per_process(**{p: WINDOW.start - 60 for p in [*order, *still_running]}),
        "soak_process_exit_time_seconds": per_process(**{p: WINDOW.end - 30 + i for i, p in enumerate(order)}),
    }


SINKS: Rows = [({"sink": s, "kind": k}, n * share) for s, share in (("jsonl", 1.0), ("sqlite", 0.5))
               for k, n in (("total", 1000), ("confirm", 500), ("strong", 200))]
BASE: dict[str, Rows] = {
    "soak_process_restarts_total": per_process(harvest=0, signal=2),
    "soak_process_up": per_process(harvest=1, signal=0),
    "soak_process_healthy": per_process(harvest=1, signal=0),
    "soak_harvester_queue_dropped_total": [({}, 0)],
    "soak_harvester_substream_timeouts_total": [({}, 1)],
    "soak_harvester_reconnects_total": [({}, 2)],
    "soak_timeseries_exports_total": [({}, 60)],
    "soak_timeseries_export_errors_total": [({}, 0)],
    "soak_timeseries_last_export_timestamp_seconds": [({"backend": "prometheus"}, WINDOW.end - 10)],
    "soak_sink_signals_total": SINKS,
    "soak_process_resident_memory_bytes": per_process(harvest=100 * 2**20, signal=200 * 2**20),
    "soak_process_open_fds": per_process(harvest=40, signal=50),
}
RANGES: dict[str, Rows] = {
    "ALERTS": [({"alertname": "SoakProcessRestarted", "severity": "warning", "alertstate": "firing",
                 "process": "signal"}, [(WINDOW.start + 600 + 10 * i, 1) for i in range(7)])],
    "soak_process_restart_downtime_seconds": [({"process": "signal"}, [(WINDOW.start, 0), (WINDOW.start + 600, 3.5),
                                                                         (WINDOW.start + 1200, 6.0)])],
}


def querier(extra: dict[str, Rows] | None = None) -> Querier:
    return Querier(FakeProm({**BASE, **(extra or {})}, RANGES), WINDOW, QueryLog(), "evidence")  # type: ignore[arg-type]


def run_manifest(extra: dict[str, Rows] | None = None, run_info: RunInfo | None = None) -> dict[str, Any]:
    q = querier(extra)
    return manifest.run_manifest(q, TOKYO, gather(q, TOKYO), run_info or RunInfo())


def test_shutdown_order_seen_only_for_the_expected_order() -> None:
    right = run_manifest(exits(["report", "broker", "signal", "harvest"]))
    assert right["shutdown_order"] == ["report", "broker", "signal", "harvest"] and right["shutdown_order_seen"]
    wrong = run_manifest(exits(["harvest", "signal", "broker", "report"]))
    assert wrong["shutdown_order"] == ["harvest", "signal", "broker", "report"]
    assert wrong["shutdown_order_seen"] is False
    assert run_manifest(exits(["report", "broker", "signal"], ("harvest",)))["shutdown_order_seen"] is False
    assert run_manifest(exits([], ("report", "broker")))["shutdown_order_seen"] is False


def test_backoff_comes_from_the_run_manifest_and_downtimes_are_kept_apart() -> None:
    info = parse_run_info({"restart_backoff_pattern": [1, 2, 4]}, "/runs/run_manifest_1.json")
    document = run_manifest(run_info=info)
    assert document["restart_backoff_pattern"] == [1.0, 2.0, 4.0]
    assert "restart_backoff_pattern_note" not in document
    assert document["restart_downtimes_seconds"] == [3.5, 6.0]
    assert parse_run_info({"restart_backoff_pattern": []}).restart_backoff_pattern == ()
    assert run_manifest(run_info=parse_run_info({"restart_backoff_pattern": []}))["restart_backoff_pattern"] == []


@pytest.mark.parametrize(("info", "note"), [
    (RunInfo(), "restart_backoff_pattern: unknown, no --run-manifest given"),
    (parse_run_info({"run_id": "r1"}, "/runs/m.json"),
     "restart_backoff_pattern: unknown, the run manifest /runs/m.json has none"),
])
def test_unknown_backoff_is_null_with_the_reason(info: RunInfo, note: str) -> None:
    document = run_manifest(run_info=info)
    assert document["restart_backoff_pattern"] is None and document["restart_backoff_pattern_note"] == note
    assert document["restart_downtimes_seconds"] == [3.5, 6.0]


def test_run_manifest_figures() -> None:
    document = run_manifest(run_info=parse_run_info({"run_id": "r7"}))
    assert document["run_id"] == "r7"
    assert document["status"]["processes"] == {"harvest": {"restart_count": 0}, "signal": {"restart_count": 2}}
    assert document["harvester_metrics"] == {"queue_dropped": 0, "substream_timeout_detected": True,
                                             "reconnect_count": 2}
    assert document["timeseries_export"] == {"export_count": 60, "error_count": 0,
                                             "last_export_time": "2026-01-01T09:59:50+09:00"}
    assert document["resource_usage"]["max_rss_mb"] == 200.0
    assert document["alerts"] == [{"rule_name": "SoakProcessRestarted", "level": "warning",
                                   "trigger_time": "2026-01-01T09:10:00+09:00",
                                   "recovery_time": "2026-01-01T09:10:30+09:00", "details": {"process": "signal"}}]


def test_source_manifest_takes_the_run_from_the_run_manifest() -> None:
    info = parse_run_info({"run_id": "20261130T101500Z-ab12", "region": "ap-northeast-1",
                           "run": {"symbols": ["BTCUSDT", "ETHUSDT"], "nats_url": "nats://u:n4ts-secret@10.0.0.5:4222"}},
                          "/state/demo/run_manifest.json")
    url = "https://reader:pr0m-secret@prom.example:9090/?token=t0ken-secret"
    document = manifest.source_manifest(url, default_settings(), querier(), TOKYO, info)
    assert (document["run_id"], document["run_manifest"]) == ("20261130T101500Z-ab12", "/state/demo/run_manifest.json")
    assert (document["symbols"], document["region"]) == (["BTCUSDT", "ETHUSDT"], "ap-northeast-1")
    assert document["data_source_endpoint"] == "nats://10.0.0.5:4222"
    assert document["prometheus_url"] == "https://prom.example:9090"
    assert document["notes"] == [] and document["session_start"] == "2026-01-01T09:00:00+09:00"
    assert not any(secret in repr(document) for secret in ("n4ts-secret", "pr0m-secret", "t0ken-secret"))


def test_source_manifest_without_a_run_manifest_says_what_is_unknown() -> None:
    document = manifest.source_manifest("http://127.0.0.1:9090", default_settings(), querier(), UTC, RunInfo())
    assert (document["symbols"], document["data_source_endpoint"], document["region"], document["run_id"]) == (
        None, None, None, None)
    assert document["prometheus_url"] == "http://127.0.0.1:9090"
    assert document["notes"] == [f"{name}: unknown, no --run-manifest given"
                                 for name in ("symbols", "data_source_endpoint", "region", "run_id")]


def reports(run_info: RunInfo | None = None, passed: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    q = querier()
    facts = gather(q, TOKYO)
    info = run_info or RunInfo()
    return (daily.reports(q, TOKYO, facts, info, ("harvest", "signal", "broker"), passed),
            manifest.run_manifest(q, TOKYO, facts, info))


def test_daily_reports_per_sink_share_the_run_manifest_figures() -> None:
    found, run = reports(parse_run_info({"run_id": "r9", "status": {"state": "finished"}}))
    assert list(found) == ["jsonl", "sqlite"]
    assert found["jsonl"]["signals"] == {"total": 1000, "confirm": 500, "strong": 200, "strong_ratio": 0.2}
    assert found["sqlite"]["signals"] == {"total": 500, "confirm": 250, "strong": 100, "strong_ratio": 0.2}
    for report in found.values():
        assert (report["report_tz"], report["report_date"], report["verdict"]) == ("Asia/Tokyo", "2026-01-01", "pass")
        assert report["window"] == {"start": "2026-01-01T09:00:00+09:00", "end": "2026-01-01T10:00:00+09:00",
                                    "seconds": 3600.0}
        for key in ("alerts", "harvester_metrics", "timeseries_export"):
            assert report[key] == run[key], key
    state = found["jsonl"]["runtime_state"]
    assert (state["run_id"], state["run_state"], state["as_of"]) == ("r9", "finished", "2026-01-01T10:00:00+09:00")
    assert state["window"] == found["jsonl"]["window"]
    assert state["processes"] == {
        "harvest": {"up": True, "healthy": True, "restart_count": 0},
        "signal": {"up": False, "healthy": False, "restart_count": 2},
        "broker": {"up": None, "healthy": None, "restart_count": None},  # expected, but no series: unknown
    }


def test_daily_report_without_run_state_or_signals() -> None:
    q = querier({"soak_sink_signals_total": [({"sink": "jsonl", "kind": "total"}, 0)]})
    found = daily.reports(q, UTC, gather(q, UTC), RunInfo(), (), passed=False)
    assert found["jsonl"]["signals"] == {"total": 0, "confirm": None, "strong": None, "strong_ratio": None}
    assert found["sqlite"]["signals"] == {"total": None, "confirm": None, "strong": None, "strong_ratio": None}
    state = found["jsonl"]["runtime_state"]
    assert state["run_state"] is None and state["run_state_note"] == "status.state: unknown, no --run-manifest given"
    assert found["jsonl"]["report_tz"] == "UTC" and found["jsonl"]["verdict"] == "fail"


def test_daily_report_markdown() -> None:
    found, _ = reports(parse_run_info({"run_id": "r9", "status": {"state": "running"}}))
    text = daily_markdown.render(found["sqlite"])
    assert text.startswith("# Daily report: sqlite sink, 2026-01-01 (Asia/Tokyo)\n")
    assert "- Run: r9, state running\n" in text
    assert "| total | confirm | strong | strong_ratio |\n|---|---|---|---|\n| 500 | 250 | 100 | 0.2 |" in text
    assert "| signal | no | no | 2 |" in text and "| broker | - | - | - |" in text
    assert ("| SoakProcessRestarted | warning | 2026-01-01T09:10:00+09:00 | 2026-01-01T09:10:30+09:00 | "
            "process=signal |") in text
    assert "| 0 | yes | 2 |" in text and "| 60 | 0 | 2026-01-01T09:59:50+09:00 |" in text
    assert daily.FILES == ("daily_report_jsonl.json", "daily_report_jsonl.md", "daily_report_sqlite.json",
                           "daily_report_sqlite.md")
