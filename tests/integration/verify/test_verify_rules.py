"""verify-soak's counting rule, run length and export gaps against a real Prometheus with backfilled runs."""

from __future__ import annotations

import json

import pytest
from verify_support import Soaks

from soakwatch.verify.cli import main


def verdict(capsys: pytest.CaptureFixture[str], soaks: Soaks, scenario: str, *extra: str) -> tuple[int, dict]:
    code = main(soaks.args(scenario, "--format", "json", *extra))
    document = json.loads(capsys.readouterr().out)
    return code, {c["id"]: c for c in document["criteria"]}


def value(criterion: dict, check: str) -> float:
    return next(c for c in criterion["checks"] if c["name"] == check)["value"]


def test_harvester_counter_born_with_drops_fails_harvester_slo(soaks: Soaks, capsys):
    code, got = verdict(capsys, soaks, "late_queue_dropped")
    assert got["harvester_slo"]["result"] == "fail" and value(got["harvester_slo"], "queue_dropped") == 2
    assert [cid for cid, c in got.items() if c["result"] != "pass"] == ["harvester_slo"]
    assert code == 1


def test_a_harvester_that_went_silent_is_no_data_not_zero_drops(soaks: Soaks, capsys):
    code, got = verdict(capsys, soaks, "harvester_silent")
    assert got["harvester_slo"]["result"] == "no data"  # its counters sat at 0 because nothing was heard
    assert [cid for cid, c in got.items() if c["result"] != "pass"] == ["harvester_slo"]
    assert code == 1


def test_a_first_export_that_failed_fails_export_rate(soaks: Soaks, capsys):
    code, got = verdict(capsys, soaks, "late_export_error")
    assert got["export_rate"]["result"] == "fail" and value(got["export_rate"], "errors") == 1
    assert code == 1


def test_a_late_unhealthy_label_set_lowers_health_green(soaks: Soaks, capsys):
    _, got = verdict(capsys, soaks, "late_unhealthy")
    health = got["health_green"]
    assert health["failed_processes"] == ["broker"]
    # broker: 357 healthy heartbeats in the window, then "unhealthy" first seen with 8
    assert health["checks"][0]["values"]["broker"] == pytest.approx(357 / 365, abs=1e-4)


def test_a_run_cut_short_fails_run_duration_with_planned_and_actual(soaks: Soaks, capsys):
    code, got = verdict(capsys, soaks, "cut_short")
    run = got["run_duration"]
    assert run["result"] == "fail" and value(run, "duration") == pytest.approx(2700, abs=1)
    assert "planned 60.0 min, ran 45.0 min" in run["notes"][0]
    assert code == 1


def test_a_run_of_exactly_the_planned_length_passes_over_its_own_window(soaks: Soaks, capsys):
    code, got = verdict(capsys, soaks, "exact_hour")
    assert value(got["run_duration"], "duration") == pytest.approx(3600, abs=1)
    assert {c["result"] for c in got.values()} == {"pass"} and code == 0


def test_planned_length_from_the_flag_beats_the_run_manifest(soaks: Soaks, capsys, tmp_path):
    manifest = tmp_path / "run_manifest.json"
    manifest.write_text(json.dumps({"planned_duration_seconds": 1800}))
    _, got = verdict(capsys, soaks, "cut_short", "--only", "run_duration", "--run-manifest", str(manifest))
    assert got["run_duration"]["result"] == "pass"
    _, got = verdict(capsys, soaks, "cut_short", "--only", "run_duration", "--run-manifest", str(manifest),
                     "--min-duration", "50m")
    assert got["run_duration"]["result"] == "fail" and "planned 50.0 min" in got["run_duration"]["notes"][0]


def test_a_window_shorter_than_the_planned_length_fails(soaks: Soaks, capsys):
    _, got = verdict(capsys, soaks, "pass", "--since", "30m", "--only", "run_duration")
    assert got["run_duration"]["result"] == "fail"


@pytest.mark.parametrize("scenario", ["exports_phase_0", "exports_phase_37"])
def test_an_export_every_60_seconds_passes_in_any_phase(soaks: Soaks, capsys, scenario):
    _, got = verdict(capsys, soaks, scenario, "--only", "export_rate")
    rate = got["export_rate"]
    assert rate["result"] == "pass"
    assert (value(rate, "max_gap"), value(rate, "per_minute")) == (60.0, 1.0)


def test_a_skipped_minute_fails_export_rate(soaks: Soaks, capsys):
    _, got = verdict(capsys, soaks, "exports_skip_minute", "--only", "export_rate")
    rate = got["export_rate"]
    assert rate["result"] == "fail" and value(rate, "max_gap") == 120.0
    assert next(c for c in rate["checks"] if c["name"] == "max_gap")["threshold"] == 75.0  # 60 s + one scrape


def test_an_exporter_restart_keeps_counts_exact(soaks: Soaks, capsys):
    _, got = verdict(capsys, soaks, "exporter_restart", "--only", "export_rate,harvester_slo,health_green")
    assert got["export_rate"]["result"] == "pass" and value(got["export_rate"], "per_minute") == 1.0
    assert value(got["harvester_slo"], "queue_dropped") == 5  # 3 before the restart, 2 after it
    assert got["health_green"]["result"] == "pass"
