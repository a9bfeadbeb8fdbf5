"""`soakwatch demo` against a bare nats-server: SIGINT stops the pipeline in order and exits 130, a failing export
never stops it; the run id reaches the manifest and the workers' environment, the supervisor's pidfile lives as
long as the run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

from soakwatch.stack import free_port

SRC = Path(__file__).resolve().parents[3] / "src"


def _wait_line(path: Path, text: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text():
        assert proc.poll() is None, f"demo exited early:\n{path.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{path.read_text()}"
        time.sleep(0.1)


def test_sigint_stops_in_order_and_failed_pushes_only_warn(nats, tmp_path):
    unreachable = f"http://127.0.0.1:{free_port()}"  # no Pushgateway here: every export fails
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    err = tmp_path / "demo.err"
    argv = [sys.executable, "-m", "soakwatch", "demo", "--minutes", "5", "--rate", "500", "--state-dir",
            str(tmp_path), "--nats-url", nats.url, "--pushgateway-url", unreachable, "--heartbeat-interval", "1",
            "--export-interval", "1", "--fault", "unhealthy:signal@1s+1m", "--run-id", "sigint-run.1",
            "--warmup", "0"]
    with open(err, "w") as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
    try:
        _wait_line(err, "demo: pipeline up", proc)
        _wait_line(err, "demo: fault unhealthy:signal@1s+1m on", proc)
        time.sleep(3)  # a few failed exports
        workers = [p.pid for p in psutil.Process(proc.pid).children()]
        assert len(workers) == 4
        assert {psutil.Process(pid).environ().get("SOAK_RUN_ID") for pid in workers} == {"sigint-run.1"}
        assert (tmp_path / "demo" / "supervisor.pid").read_text().strip() == str(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err.read_text()  # cut short: never 0
    assert "shutdown order report -> broker -> signal -> harvest" in out
    assert f"--run-manifest {tmp_path / 'demo' / 'run_manifest.json'}" in out
    assert not (tmp_path / "demo" / "supervisor.pid").exists()
    manifest = json.loads((tmp_path / "demo" / "run_manifest.json").read_text())
    assert manifest["status"]["state"] == "interrupted"
    assert manifest["run_id"] == "sigint-run.1" and manifest["planned_duration_seconds"] == 300.0
    assert manifest["shutdown_order_seen"] is True
    assert manifest["timeseries_export"]["error_count"] >= 3 and manifest["timeseries_export"]["export_count"] == 0
    assert "export failed" in (tmp_path / "demo" / "logs" / "report.log").read_text()
    assert not [pid for pid in workers if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    lines = (tmp_path / "demo" / "signals.jsonl").read_text().splitlines()
    assert lines and set(json.loads(lines[0])) == {"ts", "subject", "confirm", "strong", "consistency", "gating"}
    with sqlite3.connect(tmp_path / "demo" / "signals.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM signals").fetchone()[0] == len(lines)  # no queue left behind
