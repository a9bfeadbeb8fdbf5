"""Start the alt pipeline (tests/support/altpipe) as a real process tree and wait until it flows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "support"), str(ROOT / "src")])}


@contextmanager
def altpipe(nats_url: str, folder: Path, run_id: str, duration: float = 30.0, rate: float = 200.0,
            extra: Sequence[str] = ()) -> Iterator[subprocess.Popen]:
    """The supervisor and its three processes; yields once scores reach the JSONL sink; killed at exit."""
    argv = [sys.executable, "-m", "altpipe", "run", "--nats-url", nats_url, "--dir", str(folder), "--rate", str(rate),
            "--duration", str(duration), "--run-id", run_id, "--stats-interval", "1", *extra]
    log = (folder.parent / f"altpipe-{run_id}.log").open("w")
    proc = subprocess.Popen(argv, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_flowing(folder / "out" / "scores.jsonl", proc)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=15)
        log.close()


def _wait_flowing(sink: Path, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"altpipe exited with {proc.returncode} before it flowed")
        if sink.exists() and sink.read_text().count("\n") >= 5:
            time.sleep(1.0)  # a stats message and a few seconds of rate
            return
        time.sleep(0.1)
    raise AssertionError(f"altpipe: no scores in {sink} after {timeout} s")


def init_argv(nats_url: str, monitor_url: str | None, dirs: Sequence[Path], out: Path,
              *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "soakwatch", "init", "--nats-url", nats_url, "--out", str(out), "--yes",
            "--listen-seconds", "3"]
    argv += ["--nats-monitor-url", monitor_url] if monitor_url else []
    return argv + [item for d in dirs for item in ("--dir", str(d))] + list(extra)
