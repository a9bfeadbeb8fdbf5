"""Run scoping of process matching with real child processes: environment, pidfile, descendants of a parent,
and two runs matched without a scope, which is counted and never resolved by picking one."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.config import ProcessMatch, parse_config
from soakwatch.exporters.soak.processes import ProcessCollector
from soakwatch.exporters.soak.procscan import scan
from soakwatch.exporters.soak.procscope import ProcessScope
from soakwatch.testing.samples import value

SLEEP = "import time; time.sleep(60)"
# a parent that does not match: it starts one child whose command line ends with $CHILD_ARGS, then sleeps
PARENT = ("import os, subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; "
          "time.sleep(60)', *os.environ['CHILD_ARGS'].split()]); time.sleep(60)")


@pytest.fixture
def spawn() -> Iterator:
    started: list[subprocess.Popen[bytes]] = []

    def start(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", code, *args], env={**os.environ, **(env or {})},
                                start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _matchers(marker: str) -> dict[str, ProcessMatch]:
    return {"signal": ProcessMatch(cmdline=re.compile(rf"{marker}\s+signal\b"))}


def _scan_until(marker: str, scope: ProcessScope | None, predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        result = scan(_matchers(marker), scope)
        if predicate(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def _children(parent: subprocess.Popen[bytes], timeout: float = 10.0) -> list[int]:
    import psutil

    deadline = time.monotonic() + timeout
    while not (kids := psutil.Process(parent.pid).children()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [kid.pid for kid in kids]


def test_env_scope_picks_the_process_of_that_run(spawn):
    marker = f"scope-{uuid.uuid4().hex}"
    older = spawn(SLEEP, marker, "signal", env={"SOAK_RUN_ID": "run-a"})
    time.sleep(0.05)
    newer = spawn(SLEEP, marker, "signal", env={"SOAK_RUN_ID": "run-b"})
    scope = ProcessScope(env=("SOAK_RUN_ID", "run-b"))
    result = _scan_until(marker, scope, lambda r: "signal" in r.found)
    assert result.found["signal"].pid == newer.pid != older.pid  # not the oldest: the one in scope
    assert not result.ambiguous and not result.problems
    assert "signal" not in scan(_matchers(marker), ProcessScope(env=("SOAK_RUN_ID", "run-c"))).found


def test_pidfile_scope_names_the_process_itself_and_a_stale_or_bad_pidfile_names_none(spawn, tmp_path):
    marker = f"scope-{uuid.uuid4().hex}"
    first = spawn(SLEEP, marker, "signal")
    second = spawn(SLEEP, marker, "signal")
    pidfile = tmp_path / "signal.pid"
    pidfile.write_text(f"{second.pid}\n")
    scope = ProcessScope(pidfile=str(tmp_path / "{process}.pid"))
    result = _scan_until(marker, scope, lambda r: "signal" in r.found)
    assert result.found["signal"].pid == second.pid != first.pid
    os.utime(pidfile, (time.time() - 3600, time.time() - 3600))  # older than the process: a reused pid
    assert "signal" not in scan(_matchers(marker), scope).found
    pidfile.write_text("not a pid\n")
    result = scan(_matchers(marker), scope)
    assert "signal" not in result.found
    assert [reason for reason, _ in result.problems] == ["pidfile_invalid"]


def test_descendant_scope_follows_the_parent_in_its_pidfile(spawn, tmp_path):
    marker = f"scope-{uuid.uuid4().hex}"
    run_a = spawn(PARENT, env={"CHILD_ARGS": f"{marker} signal"})
    run_b = spawn(PARENT, env={"CHILD_ARGS": f"{marker} signal"})
    (child_a,), (child_b,) = _children(run_a), _children(run_b)
    parent_file = tmp_path / "supervisor.pid"
    scope = ProcessScope(parent_pidfile=str(parent_file))
    assert scan(_matchers(marker), scope).found == {}  # no pidfile yet: nothing is in scope
    parent_file.write_text(str(run_b.pid))
    result = _scan_until(marker, scope, lambda r: "signal" in r.found)
    assert result.found["signal"].pid == child_b
    by_pid = scan(_matchers(marker), ProcessScope(parent_pid=run_a.pid))
    assert by_pid.found["signal"].pid == child_a


def test_two_runs_without_scope_are_counted_and_not_exposed(spawn, caplog):
    marker = f"scope-{uuid.uuid4().hex}"
    run_a = spawn(PARENT, env={"CHILD_ARGS": f"{marker} signal"})
    spawn(PARENT, env={"CHILD_ARGS": f"{marker} signal"})  # another parent, no SOAK_RUN_ID: another run
    _children(run_a)
    result = _scan_until(marker, None, lambda r: "signal" in r.ambiguous)
    assert "signal" in result.ambiguous and "signal" not in result.found
    assert "2 runs match" in result.ambiguous["signal"]

    errors = ErrorCounter()
    collector = ProcessCollector(_matchers(marker), errors=errors)
    with caplog.at_level(logging.WARNING, logger="soakwatch.exporter"):
        collector.sample()
        collector.sample()
    assert errors.get("processes", "ambiguous_match") == 2
    assert value(errors, "soak_exporter_errors_total", collector="processes", reason="ambiguous_match") == 2
    assert [r.message for r in caplog.records].count(next(r.message for r in caplog.records)) == 1  # once a minute
    assert "ambiguous_match" in caplog.records[0].message and "set processes.scope" in caplog.records[0].message
    assert value(collector, "soak_process_up", process="signal") is None  # neither run's process is shown


def test_different_run_ids_are_two_runs_and_one_parent_is_one(spawn):
    marker = f"scope-{uuid.uuid4().hex}"
    spawn(SLEEP, marker, "signal", env={"SOAK_RUN_ID": "run-a"})
    spawn(SLEEP, marker, "signal", env={"SOAK_RUN_ID": "run-b"})
    result = _scan_until(marker, None, lambda r: "signal" in r.ambiguous)
    assert "SOAK_RUN_ID=run-a" in result.ambiguous["signal"] and "SOAK_RUN_ID=run-b" in result.ambiguous["signal"]

    same = f"scope-{uuid.uuid4().hex}"
    first = spawn(SLEEP, same, "signal")  # two siblings of one parent (this test), no run id: one run
    spawn(SLEEP, same, "signal")
    result = _scan_until(same, None, lambda r: "signal" in r.found)
    assert result.found["signal"].pid == first.pid and not result.ambiguous


def test_scope_config_keys_and_their_rules():
    def scope(raw, match=None):
        return parse_config({"processes": {"scope": raw, **({"match": match} if match else {})}}).processes.scope

    assert scope({"env": "SOAK_RUN_ID=r1"}) == ProcessScope(env=("SOAK_RUN_ID", "r1"))
    assert scope({"parent_pidfile": "/run/x.pid"}).parent_pidfile == "/run/x.pid"
    assert scope({"parent_pid": "42"}).parent_pid == 42
    assert scope({"pidfile": "/run/one.pid"}, match={"one": "x"}).pidfile == "/run/one.pid"
    cases = {
        "processes.scope.env must be NAME=VALUE": {"env": "SOAK_RUN_ID="},
        "processes.scope.pidfile must contain {process}": {"pidfile": "/run/all.pid"},
        "processes.scope.parent_pid must be a pid": {"parent_pid": -3},
        "processes.scope.parent_pid and parent_pidfile exclude each other": {"parent_pid": 4, "parent_pidfile": "p"},
        "processes.scope must set env, pidfile, parent_pid or parent_pidfile": {},
        "processes.scope.pid is not a known field": {"pid": 4},
    }
    for message, raw in cases.items():
        with pytest.raises(ConfigError, match=re.escape(f"invalid config: {message}")):
            scope(raw)


def test_demo_config_scopes_to_the_supervisor_pidfile(tmp_path):
    from soakwatch.exporters.soak.config import load_config

    config = load_config("demo", environ={"SOAKWATCH_STATE_DIR": str(tmp_path)})
    assert config.processes.scope == ProcessScope(parent_pidfile=str(tmp_path / "demo" / "supervisor.pid"))
    assert Path(config.processes.scope.parent_pidfile).name == "supervisor.pid"
