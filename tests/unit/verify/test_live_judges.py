"""The live judges: what is decided, what can recover, what waits; the terminal and HTML views of a cycle."""

from __future__ import annotations

import io
from datetime import UTC

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.cli import main as verify_main
from soakwatch.verify.config import parse_settings, with_warmup
from soakwatch.verify.criteria.base import OPS
from soakwatch.verify.engine import FAIL, NO_DATA, PASS, CheckResult, CriterionResult
from soakwatch.verify.live import AT_RISK, FAILED, PASSING, WAITING, Live, Moment, assess
from soakwatch.verify.live.html import render
from soakwatch.verify.live.loop import Cycle
from soakwatch.verify.live.terminal import Changes, Redraw
from soakwatch.verify.querier import Series

START = 1767225600.0
HOUR = 3600.0


def moment(minutes: float, strict: bool = False) -> Moment:
    return Moment(START, START + minutes * 60, START + HOUR, 0.9, strict)


def result(cid: str, status: str, checks: list[CheckResult], severity: str = "critical", coverage: float = 1.0,
           measured: dict | None = None, series: list | None = None) -> CriterionResult:
    keys = sorted({k for c in checks for k in c.values}) or [""]
    return CriterionResult(cid, cid, severity, status, checks, dict.fromkeys(keys, status),
                           dict.fromkeys(keys, coverage), keys != [""], [], series or [], None, "", "built-in",
                           measured or {})


def check(name: str, op: str, threshold: float, values: dict[str, float], unit: str = "count") -> CheckResult:
    failed = [k for k, v in values.items() if v == v and not OPS[op](v, threshold)]  # NaN is no data, as in the engine
    return CheckResult(name, "q", op, threshold, unit, values, failed)


def test_a_restart_over_12s_is_failed_at_once_and_one_in_progress_is_not():
    slow = check("downtime", "<=", 12.0, {"signal": 20.0}, "seconds")
    assert assess(result("restart_recovery", FAIL, [slow]), moment(31)).state == FAILED
    going = check("downtime", "<=", 12.0, {"signal": 0.0}, "seconds")  # the gauge is set when it is back
    assert assess(result("restart_recovery", PASS, [going]), moment(30.1)).state == PASSING


def test_a_mean_rate_under_the_bar_is_at_risk_and_waits_for_its_warmup():
    low = result("tick_rate", FAIL, [check("rate", ">=", 5000.0, {"": 3000.0}, "msgs/s")])
    assert assess(low, moment(10)).state == AT_RISK
    waiting = assess(low, moment(10), warmup=900.0)
    assert waiting.state == WAITING and waiting.reason.startswith("until 00:16:00Z")


def test_an_exit_while_others_run_is_not_a_broken_shutdown_order():
    order = check("in_order", "==", 1.0, {"": 0.0}, "bool")
    partial = result("shutdown_order", FAIL, [order], measured={"running": {"": 3.0}})
    assert assess(partial, moment(30)).state == AT_RISK  # a restart, or a shutdown still going
    done = result("shutdown_order", FAIL, [order], measured={"running": {"": 0.0}})
    assert assess(done, moment(60)).state == FAILED


def test_a_warning_criterion_is_never_failed_unless_strict():
    fds = check("max_open_fds", "<", 256.0, {"report": 300.0})
    breached = result("resources", "warn", [fds], severity="warning")
    assert assess(breached, moment(5)).state == AT_RISK
    assert assess(breached, moment(5, strict=True)).state == FAILED


def test_health_budget_for_the_planned_run():
    ratio = check("healthy_ratio", ">=", 0.98, {"broker": 0.97}, "ratio")
    # 10 minutes in: 60 checks, 2 unhealthy; the hour will have 360, 7.2 may be unhealthy
    at_risk = result("health_green", FAIL, [ratio], measured={"checks": {"broker": 60.0},
                                                               "not_healthy": {"broker": 2.0}})
    live = assess(at_risk, moment(10))
    assert (live.state, live.reason.split(";")[0]) == (AT_RISK, "broker: 2 unhealthy of 7 allowed")
    assert abs(live.budget - (1 - 2 / 7.2)) < 1e-9
    spent = result("health_green", FAIL, [ratio], measured={"checks": {"broker": 60.0},
                                                             "not_healthy": {"broker": 8.0}})
    assert assess(spent, moment(10)).state == FAILED


def test_run_duration_waits_for_the_planned_end_and_fails_when_it_cannot_be_reached():
    ran = check("duration", ">=", 3570.0, {"": 20 * 60.0}, "s")
    assert assess(result("run_duration", FAIL, [ran]), moment(20)).state == WAITING
    assert assess(result("run_duration", FAIL, [ran]), moment(45)).state == FAILED  # 20 + 15 < 59.5


def test_missing_data_waits_then_fails_once_more_than_10_percent_of_the_run_lacks_it():
    none = check("max_rss", "<", 1e9, {"harvest": float("nan")}, "bytes")
    short = result("resources", NO_DATA, [none], coverage=0.5)
    assert assess(short, moment(8)).state == WAITING  # 4 minutes missing, 6 allowed
    assert assess(short, moment(20)).state == FAILED  # 10 minutes missing


def test_an_open_export_gap_is_not_decided_a_closed_one_is():
    gap = check("max_gap", "<=", 75.0, {"": 200.0}, "seconds")
    errors = check("errors", "<=", 0.0, {"": 0.0})
    open_gap = result("export_rate", FAIL, [gap, errors], series=[Series({}, [(0, 0), (60, 60), (260, 200)])])
    assert assess(open_gap, moment(10)).state == AT_RISK
    closed = result("export_rate", FAIL, [gap, errors], series=[Series({}, [(0, 0), (260, 200), (300, 40)])])
    assert assess(closed, moment(10)).state == FAILED


def _cycle(*states: Live) -> Cycle:
    return Cycle(moment(12), list(states))


def test_changes_print_one_line_per_change_only():
    out = io.StringIO()
    view = Changes(out)
    view.show(_cycle(Live("tick_rate", WAITING, "until 00:01:00Z")))
    view.show(_cycle(Live("tick_rate", WAITING, "until 00:01:00Z")))
    view.show(_cycle(Live("tick_rate", FAILED, "x")))
    assert out.getvalue().splitlines() == ["00:12:00Z tick_rate: waiting: until 00:01:00Z",
                                           "00:12:00Z tick_rate: FAILED: x"]


def test_redraw_moves_up_over_the_previous_table():
    out = io.StringIO()
    view = Redraw(out)
    view.show(_cycle(Live("a", PASSING, "ok")))
    view.show(_cycle(Live("a", PASSING, "ok")))
    assert out.getvalue().count("\x1b[2F\x1b[J") == 1 and "LIVE 00:12:00Z: 12.0 of 60.0 min" in out.getvalue()


def test_the_live_page_reloads_is_marked_live_and_never_says_pass():
    page = render(_cycle(Live("health_green", PASSING, "broker: 0 unhealthy of 7 allowed")), UTC,
                  "http://127.0.0.1:9090", 30.0)
    assert '<meta http-equiv="refresh" content="30">' in page and ">LIVE<" in page
    assert "Last evaluation 2026-01-01T00:12:00+00:00" in page and "PASS" not in page


def test_a_warmup_in_the_criteria_file_is_a_duration_and_the_flag_fills_the_rest():
    settings = with_warmup(parse_settings({"criteria": {"tick_rate": {"warmup": "2m"}}}), 60.0)
    assert settings.warmups == {"tick_rate": 120.0, "tick_latency": 60.0, "memory_growth": 60.0}
    with pytest.raises(ConfigError, match=r"invalid config: criteria.tick_rate.warmup must be a Prometheus duration"):
        parse_settings({"criteria": {"tick_rate": {"warmup": "soon"}}})


def test_a_watch_switch_in_the_environment_must_be_on_or_off(monkeypatch, capsys):
    monkeypatch.setenv("VERIFY_WATCH", "maybe")
    assert verify_main(["--only", "tick_rate"]) == 2
    assert "invalid config: VERIFY_WATCH must be one of 1, true, yes, on (on)" in capsys.readouterr().err


def test_missing_data_is_counted_after_the_warmup_and_for_a_process_never_seen():
    none = check("rate", ">=", 5000.0, {"": float("nan")}, "msgs/s")
    half = result("tick_rate", NO_DATA, [none], coverage=0.5)
    # 30 minutes of a 60-minute plan, 20 of them warm-up: 5 of the 10 judged minutes lack data, 4 may
    assert assess(half, moment(30), warmup=1200.0).state == FAILED
    assert assess(half, moment(26), warmup=1200.0).state == WAITING  # 3 of 6 judged minutes, 4 may
    never = result("resources", NO_DATA, [check("max_rss", "<", 1e9, {"risk": float("nan")}, "bytes")])
    never.coverage.pop("risk")
    assert assess(never, moment(2)).reason.startswith("no data so far (coverage 0%)")


def test_bad_watch_flags_are_named_before_any_query(capsys):
    unreachable = ["--prometheus-url", "http://127.0.0.1:1"]
    assert verify_main(["--watch", "--run-start", "soon", *unreachable]) == 2
    assert "invalid config: --run-start must be RFC 3339 or unix seconds, got 'soon'" in capsys.readouterr().err
    assert verify_main(["--watch", "--every", "0s", *unreachable]) == 2
    assert "invalid config: --every must be > 0, got '0s'" in capsys.readouterr().err
    assert verify_main(["--watch", "--until", "1", *unreachable]) == 2
    assert "invalid config: --until cannot be used with --watch" in capsys.readouterr().err
