"""verify-soak --watch over backfilled histories in a real Prometheus, driven by a fake clock.

The run of each history starts at ``LEAD_IN`` and is planned for 60 minutes; the clock starts there and every
sleep of the watch loop moves it on, so an hour of live verdicts takes seconds and always sees the same data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from verify_support import BASE, SCENARIOS, SPACING, Soaks

from soakwatch.testing.soak_history import LEAD_IN, LENGTH
from soakwatch.verify.cli import build_parser, main
from soakwatch.verify.config import default_settings
from soakwatch.verify.live import FAILED, PASSING
from soakwatch.verify.live.loop import Plan, evaluate
from soakwatch.verify.live.watch_cli import SETTLE, watch_soak
from soakwatch.verify.promapi import Auth, PromClient

OTHERS: list[str] = []
LINE = re.compile(r"^(\d\d:\d\d:\d\dZ) (\w+): (passing|at risk|FAILED|waiting): (.*)$")


class FakeClock:
    """``now`` starts at a run's start; ``sleep`` moves it on."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run_start(scenario: str) -> float:
    return BASE + SCENARIOS.index(scenario) * SPACING + LEAD_IN


def watch(soaks: Soaks, scenario: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list, dict]:
    """Watch ``scenario`` from its start; the exit code, the change lines ``(clock, id, state, reason)`` and
    the final verdict (JSON on stdout). The other stderr lines go to ``OTHERS``."""
    clock = FakeClock(run_start(scenario))
    args = build_parser().parse_args(["--watch", "--prometheus-url", soaks.url, "--run-start",
                                      str(run_start(scenario)), "--format", "json", *extra])
    code = watch_soak(args, "verify-soak", clock, clock.sleep)
    out, err = capsys.readouterr()
    changes = [m.groups() for m in map(LINE.match, err.splitlines()) if m]
    OTHERS[:] = [line for line in err.splitlines() if not LINE.match(line)]
    return code, changes, json.loads(out)


def seconds(clock_text: str, scenario: str) -> float:
    """Seconds into the run of ``HH:MM:SSZ`` (the runs start on whole 3-hour slots plus ``LEAD_IN``)."""
    h, m, s = (int(x) for x in clock_text[:-1].split(":"))
    return (h * 3600 + m * 60 + s - LEAD_IN) % SPACING


def test_a_restart_held_20s_fails_within_a_cycle_and_aborts_with_evidence(soaks: Soaks, capsys, tmp_path: Path):
    code, changes, final = watch(soaks, "restart_recovery", capsys, "--every", "60s", "--abort-on-fail",
                                 "--out", str(tmp_path))
    failed = [(at, cid, reason) for at, cid, state, reason in changes if state == "FAILED"]
    assert [cid for _, cid, _ in failed] == ["restart_recovery"], changes
    at = seconds(failed[0][0], "restart_recovery")
    assert 1800 + 20 <= at <= 1800 + 20 + 15 + 60  # back 20 s after the kill; one scrape, then one cycle
    assert "signal: downtime 20 s" in failed[0][2]
    assert code == 1
    assert final["verdict"] == "fail" and final["window"]["seconds"] == at
    written = json.loads((tmp_path / "verdict.json").read_text())
    assert {c["id"]: c["result"] for c in written["criteria"]}["restart_recovery"] == "fail"
    assert (tmp_path / "queries.json").exists() and "LIVE" not in (tmp_path / "report.html").read_text()
    assert OTHERS == ["verify-soak: stopped early, decided failed: restart_recovery (signal: downtime 20 s "
                      "(downtime <= 12 s))"]


def test_a_clean_run_is_never_failed_and_ends_with_the_verdict_of_verify_soak(soaks: Soaks, capsys):
    code, changes, final = watch(soaks, "pass", capsys, "--every", "300s")
    assert not [c for c in changes if c[2] == "FAILED"], changes
    assert {cid for _, cid, state, _ in changes if state == "passing"} >= {"health_green", "resources"}
    window = final["window"]  # the planned hour and the settle time after it
    assert window["start_unix"] == run_start("pass") and window["seconds"] == 3600 + SETTLE
    since, until = f"{round(window['seconds'])}s", str(window["end_unix"])
    assert main(["--prometheus-url", soaks.url, "--since", since, "--until", until, "--format", "json"]) == code == 0
    separate = json.loads(capsys.readouterr().out)
    assert final == separate


def test_a_tick_rate_dip_is_at_risk_then_passing_again(soaks: Soaks, capsys):
    code, changes, final = watch(soaks, "rate_dip", capsys, "--every", "120s", "--only", "tick_rate")
    states = [(seconds(at, "rate_dip"), state) for at, _, state, _ in changes]
    assert [s for _, s in states] == ["waiting", "at risk", "passing"], changes
    assert states[1][0] <= 60 + 120  # at risk from the first minute of data on
    # the mean reaches 5,000/s 25 to 30 minutes in (1,000/s for 5 minutes, then 6,000/s +-3%)
    assert 1500 <= states[2][0] <= 1800 + 120
    assert (code, final["verdict"]) == (0, "pass")


def test_a_warmup_excludes_the_dip_and_the_verdict_names_it(soaks: Soaks, capsys):
    _, changes, final = watch(soaks, "rate_dip", capsys, "--every", "120s", "--only", "tick_rate", "--warmup", "6m")
    assert [state for _, _, state, _ in changes] == ["waiting", "passing"], changes
    assert "warm-up of 360 s excluded" in final["criteria"][0]["notes"][0]


def _client(soaks: Soaks) -> PromClient:
    return PromClient(soaks.url, Auth(None, None, None, None, False), timeout=30)


def _health(soaks: Soaks, scenario: str, at: float):
    start = run_start(scenario)
    settings = default_settings()
    cycle = evaluate(_client(soaks), settings, Plan(start, start + 3600), start + at)
    return next(s for s in cycle.states if s.criterion == "health_green")


def test_the_unhealthy_check_budget_counts_down(soaks: Soaks):
    # 10 s heartbeats over the planned hour: 360 checks per process, 2% of them (7.2) may be unhealthy
    early = _health(soaks, "pass", 300)
    assert (early.state, early.budget) == (PASSING, 1.0)
    assert re.fullmatch(r"\w+: 0 unhealthy of 7 allowed", early.reason)
    later = _health(soaks, "pass", 900)  # signal had one degraded check at minute 10
    assert (later.state, later.reason) == (PASSING, "signal: 1 unhealthy of 7 allowed")
    assert later.budget == pytest.approx(1 - 1 / 7.2, abs=0.01)
    spent = _health(soaks, "late_unhealthy", 1815)  # broker: 8 unhealthy at minute 30
    assert spent.state == FAILED and spent.reason.startswith("broker: 8 unhealthy of 7 allowed")
    assert spent.budget is None


def test_no_live_state_of_a_clean_hour_is_failed_at_any_minute(soaks: Soaks):
    start = run_start("pass")
    client, settings = _client(soaks), default_settings()
    for minute in (1, 29, 30.5, 31, 59.5):
        cycle = evaluate(client, settings, Plan(start, start + 3600), start + minute * 60)
        assert not cycle.failed, (minute, cycle.failed)
    assert LENGTH - LEAD_IN == 3600


def test_the_final_window_covers_the_shutdown_the_run_manifest_records(soaks: Soaks, capsys, tmp_path: Path):
    start = run_start("pass")
    manifest = tmp_path / "run_manifest.json"
    manifest.write_text(json.dumps({"run_id": "late-stop", "run": {"started_at": start, "minutes": 60},
                                    "window": {"start": start, "end": start + 3600 + 40}}))
    clock = FakeClock(start)
    args = build_parser().parse_args(["--watch", "--prometheus-url", soaks.url, "--run-manifest", str(manifest),
                                      "--every", "900s", "--format", "json", "--only", "run_duration"])
    code = watch_soak(args, "verify-soak", clock, clock.sleep)
    final = json.loads(capsys.readouterr().out)
    assert final["window"]["start_unix"] == start and final["window"]["seconds"] == 3600 + 40 + 5
    assert clock.now >= start + 3645 + 15  # judged one scrape interval after the window's end
    assert code == 0
