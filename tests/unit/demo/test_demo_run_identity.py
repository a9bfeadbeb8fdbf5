"""Run identity of the demo without servers: --run-id rules, the supervisor pidfile, the manifest's planned
length, and Ctrl-C while the verdict is written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from soakwatch.demo import cli as demo_cli
from soakwatch.demo.interrupts import DeferredInterrupts, exit_code
from soakwatch.demo.manifest import RunInfo, build
from soakwatch.demo.observer import Observer
from soakwatch.demo.run import PipelineStartError, claim_pidfile
from soakwatch.demo.supervisor import Supervisor


def test_demo_refuses_a_bad_run_id_and_passes_a_good_one_to_the_workers(capsys, tmp_path):
    assert demo_cli.main(["--run-id", "no spaces", "--state-dir", str(tmp_path)]) == 2
    assert "soakwatch demo: invalid config: --run-id must be 1-64 characters" in capsys.readouterr().err
    args = demo_cli.build_parser().parse_args(["--run-id", "r-7", "--state-dir", str(tmp_path)])
    settings = demo_cli.settings_from(args)
    assert settings.run_id == "r-7" and settings.warmup == 10.0
    assert demo_cli.worker_env(args, settings.run_id)["SOAK_RUN_ID"] == "r-7"


def test_secret_files_reach_the_workers_by_environment(tmp_path):
    args = demo_cli.build_parser().parse_args(["--state-dir", str(tmp_path), "--user", "u", "--password-file",
                                               "/run/secrets/nats", "--token-file", "/run/secrets/token"])
    env = demo_cli.worker_env(args, "r-8")
    assert (env["NATS_PASSWORD_FILE"], env["NATS_TOKEN_FILE"]) == ("/run/secrets/nats", "/run/secrets/token")


def test_manifest_has_the_run_id_and_planned_length(tmp_path):
    info = RunInfo("r1", 1.0, 2.5, 6000.0, ["A"], "nats://127.0.0.1:4222", {"type": "prometheus"}, [])
    manifest = build(info, Supervisor(lambda role: [], {}, tmp_path), Observer())
    assert manifest["run_id"] == "r1" and manifest["planned_duration_seconds"] == 150.0
    assert manifest["run"]["symbols"] == ["A"] and manifest["restart_backoff_pattern"] == []


def test_pidfile_is_claimed_unless_another_live_demo_holds_it(tmp_path):
    path = tmp_path / "demo" / "supervisor.pid"
    path.parent.mkdir()
    path.write_text("999999999\n")  # a stale pidfile: no such process
    claim_pidfile(path)
    assert path.read_text() == f"{os.getpid()}\n"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "soakwatch", "demo"])
    try:
        path.write_text(f"{other.pid}\n")
        with pytest.raises(PipelineStartError, match=rf"a demo \(pid {other.pid}\) already runs from"):
            claim_pidfile(path)
    finally:
        other.kill()
        other.wait()


def test_first_interrupt_is_noted_and_a_second_aborts(capsys):
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), DeferredInterrupts("note: interrupted") as interrupts:
        os.kill(os.getpid(), signal.SIGTERM)
        assert interrupts.signum == signal.SIGTERM  # noted, the work goes on
        os.kill(os.getpid(), signal.SIGINT)
        pytest.fail("a second signal must abort")
    assert "note: interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before
    assert (exit_code(signal.SIGINT), exit_code(signal.SIGTERM)) == (130, 143)
