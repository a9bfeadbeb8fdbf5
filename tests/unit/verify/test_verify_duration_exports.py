"""run_duration's live stretches, export_rate's export times and gaps, and where the planned length comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.config import load_settings, parse_settings, with_planned
from soakwatch.verify.counting import Counted
from soakwatch.verify.criteria.pipeline import export_times, longest_gap
from soakwatch.verify.criteria.run import DEFAULT_PLANNED, flowing, intersect, merge, up


def planned(settings) -> float:
    return next(c for c in settings.criteria if c.id == "run_duration").check("duration").threshold


def test_planned_length_precedence_flag_file_manifest_default():
    file_says = parse_settings({"criteria": {"run_duration": {"threshold": 1800}}})
    assert planned(with_planned(file_says, 600.0, 900.0)) == 600.0
    assert planned(with_planned(file_says, None, 900.0)) == 1800.0
    assert planned(with_planned(parse_settings({}), None, 900.0)) == 900.0
    assert planned(with_planned(load_settings(None), None, None)) == DEFAULT_PLANNED == 3600.0


def test_planned_length_must_be_positive():
    with pytest.raises(ConfigError, match=r"criteria\.run_duration\.threshold must be > 0 seconds"):
        parse_settings({"criteria": {"run_duration": {"threshold": 0}}})


def test_min_duration_flag_is_a_prometheus_duration(capsys):
    from soakwatch.verify.cli import main
    assert main(["--prometheus-url", "http://127.0.0.1:9", "--min-duration", "an hour"]) == 2
    assert "invalid config: --min-duration must be a Prometheus duration" in capsys.readouterr().err


def test_live_stretches_need_ticks_and_a_process_up():
    ticks = [Counted({}, [(15.0, 5.0), (30.0, 5.0), (45.0, 0.0), (60.0, 5.0)], False, 15.0)]
    assert flowing(ticks) == [(0.0, 15.0), (15.0, 30.0), (45.0, 60.0)]
    processes = up([({"process": "a"}, [(0.0, 1.0), (15.0, 1.0), (30.0, 0.0), (45.0, 0.0), (60.0, 0.0)])])
    assert processes == [(0.0, 15.0), (15.0, 30.0)]
    assert intersect(flowing(ticks), processes, 5.0, 100.0) == [(5.0, 30.0)]
    assert merge([(0.0, 10.0), (25.0, 30.0)], bridge=15.0) == [(0.0, 30.0)]
    assert merge([(0.0, 10.0), (26.0, 30.0)], bridge=15.0) == [(0.0, 10.0), (26.0, 30.0)]


def test_export_times_are_exact_from_the_gauge_and_bounded_without_it():
    counted = [Counted({"__name__": "x", "backend": "p"}, [(15.0, 1.0), (30.0, 0.0), (45.0, 1.0)], False, 15.0)]
    gauge = [({"__name__": "g", "backend": "p"}, [(0.0, 1.0), (15.0, 12.0), (30.0, 12.0), (45.0, 12.0)])]
    assert export_times(counted, gauge, 0.0) == [(12.0, 12.0), (30.0, 45.0)]  # second: gauge did not move
    assert export_times(counted, [], 0.0) == [(0.0, 15.0), (30.0, 45.0)]


@pytest.mark.parametrize("phase", [0.0, 17.0, 59.0])
def test_exports_every_60_seconds_never_leave_a_gap_over_60(phase: float):
    events = [(phase + 60 * k,) * 2 for k in range(60) if 0 < phase + 60 * k <= 3600]
    gap, series = longest_gap(events, 0.0, 3600.0)
    assert gap <= 60.0
    assert max(v for _, v in series[0].points) == gap


def test_a_skipped_minute_is_a_120_second_gap():
    events = [(60.0 * k,) * 2 for k in range(1, 61) if k != 30]
    assert longest_gap(events, 0.0, 3600.0)[0] == 120.0
    assert longest_gap([], 0.0, 3600.0)[0] == 3600.0


def test_criteria_file_planned_length_in_the_snapshot(tmp_path: Path):
    path = tmp_path / "c.yml"
    path.write_text("criteria:\n  run_duration: {threshold: 5400}\n")
    assert load_settings(path).snapshot()["planned_seconds"] == 5400.0


def test_a_pause_longer_than_a_restart_is_not_run_time():
    from soakwatch.verify.criteria.run import RESTART_ALLOWANCE
    spans = [(0.0, 100.0), (100.0 + RESTART_ALLOWANCE + 30.0, 200.0), (300.0, 400.0)]
    assert merge(spans, RESTART_ALLOWANCE + 30.0) == [(0.0, 200.0), (300.0, 400.0)]
