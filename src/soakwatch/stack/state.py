"""The local stack's state directory: its ports, and the pid file (stack.json) that status and down read."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

STATE_DIR_ENV = "SOAKWATCH_STATE_DIR"
DEFAULT_STATE_DIR = ".soakwatch"
STATE_FILE = "stack.json"
_ZOMBIE = psutil.STATUS_ZOMBIE


@dataclass(frozen=True)
class Port:
    """One listening port of the stack and the flag (and variable) that changes it."""

    key: str
    flag: str
    default: int
    help: str

    @property
    def env(self) -> str:
        return "SOAKWATCH_" + self.flag.removeprefix("--").replace("-", "_").upper()


PORTS = (
    Port("nats", "--nats-port", 4222, "nats-server client port"),
    Port("nats_monitor", "--nats-monitor-port", 8222, "nats-server monitoring port (/healthz, /varz)"),
    Port("prometheus", "--prometheus-port", 9090, "Prometheus web port"),
    Port("alertmanager", "--alertmanager-port", 9093, "Alertmanager web port"),
    Port("pushgateway", "--pushgateway-port", 9091, "Pushgateway web port"),
    Port("victoria_metrics", "--victoria-metrics-port", 8428, "VictoriaMetrics port (--with-victoria-metrics)"),
    Port("probe", "--probe-port", 9464, "probe /metrics port (Prometheus job soak_probe)"),
    Port("exporter", "--exporter-port", 9465, "soak exporter /metrics port (Prometheus job soak_exporter)"),
    Port("alert_log", "--alert-log-port", 9096, "alert-log webhook receiver port (path /alerts)"),
)
PORT_FLAGS = {port.key: port.flag for port in PORTS}


RUNS_DIR = "runs"
LATEST = "latest"


def run_dir(state_dir: Path, run_id: str) -> Path:
    """``<state>/runs/<run id>``: one folder per run (its evidence and alert log), never overwritten."""
    return state_dir / RUNS_DIR / run_id


def link_latest(state_dir: Path, run_id: str) -> Path:
    """Point ``<state>/runs/latest`` at the run's folder (replaced atomically); returns the link."""
    link = state_dir / RUNS_DIR / LATEST
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{LATEST}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_id, target_is_directory=True)
    os.replace(tmp, link)
    return link


def state_file(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def read_state(state_dir: Path) -> dict[str, Any] | None:
    """The recorded stack, or None when no stack was started from ``state_dir``."""
    try:
        return dict(json.loads(state_file(state_dir).read_text()))
    except FileNotFoundError:
        return None


def write_state(state_dir: Path, state: dict[str, Any]) -> None:
    """Replace stack.json atomically (a crash never leaves half a pid file)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_file(state_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, state_file(state_dir))


def remove_state(state_dir: Path) -> None:
    state_file(state_dir).unlink(missing_ok=True)


def process_identity(pid: int) -> float:
    """The start time that, with the pid, names one process (a reused pid has another)."""
    return float(psutil.Process(pid).create_time())


def is_running(pid: int, create_time: float) -> bool:
    """True when the recorded process still runs (not exited, not a zombie, pid not reused)."""
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - create_time) < 0.01 and proc.status() != _ZOMBIE
    except psutil.Error:
        return False


def stop_process(pid: int, create_time: float, timeout: float = 10.0) -> bool:
    """SIGTERM the recorded process group, SIGKILL it after ``timeout``; True when it had to be stopped."""
    if not is_running(pid, create_time):
        return False
    _signal_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, create_time, timeout):
        _signal_group(pid, signal.SIGKILL)
        _wait_gone(pid, create_time, timeout)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group the stack gave the process (its own session), else the process."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, create_time: float, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid, create_time):
            return True
        time.sleep(0.05)
    return not is_running(pid, create_time)
