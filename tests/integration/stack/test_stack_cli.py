"""`soakwatch up` / `status` / `down` start the real stack detached on free ports and stop all of it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from soakwatch.cli import SUBCOMMANDS
from soakwatch.stack import cli, servers, state

SRC = Path(__file__).resolve().parents[3] / "src"


def _soakwatch(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-m", "soakwatch", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)


def _optional_commands() -> list[str]:
    """Skip-switches for the soakwatch commands this checkout does not have (yet)."""
    wanted = {"probe": "--no-probe", "export": "--no-exporter", "alert-log": "--no-alert-log"}
    return [flag for command, flag in wanted.items() if not _importable(command)]


def _importable(command: str) -> bool:
    if command not in SUBCOMMANDS:
        return False
    try:
        return importlib.util.find_spec(SUBCOMMANDS[command][0].partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _flag(port_flags: list[str], flag: str) -> int:
    return int(port_flags[port_flags.index(flag) + 1])


def _scrape_urls(prom_url: str, jobs: set[str], timeout: float = 15.0) -> dict[str, str]:
    """job -> scrape URL, once Prometheus has discovered every job in ``jobs``."""
    deadline = time.monotonic() + timeout
    while True:
        targets = _get_json(f"{prom_url}/api/v1/targets")["data"]["activeTargets"]
        scraped = {t["labels"]["job"]: t["scrapeUrl"] for t in targets}
        if jobs <= scraped.keys() or time.monotonic() > deadline:
            return scraped
        time.sleep(0.2)


def _alertmanager_urls(prom_url: str, timeout: float = 15.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = _get_json(f"{prom_url}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
        if found or time.monotonic() > deadline:
            return [am["url"] for am in found]
        time.sleep(0.2)


def _remote_written_jobs(vm_url: str, timeout: float = 30.0) -> set[str]:
    """Jobs whose `up` series reached VictoriaMetrics through Prometheus's remote_write."""
    deadline = time.monotonic() + timeout
    while True:
        urllib.request.urlopen(f"{vm_url}/internal/force_flush", timeout=5).close()
        result = _get_json(f"{vm_url}/api/v1/query?query=up")["data"]["result"]
        if result or time.monotonic() > deadline:
            return {series["metric"].get("job", "") for series in result}
        time.sleep(0.5)


def _remote_written_identity(vm_url: str, timeout: float = 30.0) -> dict[str, tuple[str, str]]:
    """job -> (pipeline, run_id) of the `up` series that reached VictoriaMetrics, once the soak jobs have."""
    deadline = time.monotonic() + timeout
    while True:
        urllib.request.urlopen(f"{vm_url}/internal/force_flush", timeout=5).close()
        result = _get_json(f"{vm_url}/api/v1/query?query=up")["data"]["result"]
        found = {s["metric"].get("job", ""): (s["metric"].get("pipeline", ""), s["metric"].get("run_id", ""))
                 for s in result}
        if {"soak_probe", "pushgateway"} <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def _pushed_identity(prom_url: str, gateway_url: str, timeout: float = 15.0) -> dict[str, dict[str, str]]:
    """Push one series with its own run_id and one without; metric name -> its labels as Prometheus scraped them."""
    from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

    registry = CollectorRegistry()
    Gauge("soak_test_own_run", "has its own run_id", ["run_id"], registry=registry).labels("pushed-run").set(1)
    Gauge("soak_test_no_run", "has no run_id", registry=registry).set(1)
    push_to_gateway(gateway_url, job="soak_report", registry=registry, timeout=5)
    deadline = time.monotonic() + timeout
    while True:
        query = urllib.parse.quote('{__name__=~"soak_test_own_run|soak_test_no_run"}')
        result = _get_json(f"{prom_url}/api/v1/query?query={query}")["data"]["result"]
        if len(result) == 2 or time.monotonic() > deadline:
            return {s["metric"]["__name__"]: s["metric"] for s in result}
        time.sleep(0.2)


def _gone(pid: int, create_time: float) -> bool:
    return not state.is_running(pid, create_time)


def test_up_status_down_leaves_nothing_running(tmp_path, config_dir, port_flags):
    state_dir = tmp_path / "state"
    base = ["--state-dir", str(state_dir)]
    up = _soakwatch("up", *base, "--config-dir", str(config_dir), *port_flags, "--with-victoria-metrics",
                    "--pipeline", "nightly", "--scrape-interval", "1s", *_optional_commands())
    try:
        assert up.returncode == 0, up.stderr
        prom_url = f"http://127.0.0.1:{_flag(port_flags, '--prometheus-port')}"
        assert prom_url in up.stdout
        assert "grafana: not available without Docker" in up.stdout and "report.html" in up.stdout
        record = state.read_state(state_dir)
        assert record is not None
        names = [c["name"] for c in record["components"]]
        assert names[:3] == ["nats-server", "pushgateway", "alertmanager"] and "prometheus" in names
        assert "victoria-metrics" in names
        run_id = record["run_id"]  # made by `up`: UTC start time and a suffix
        assert record["pipeline"] == "nightly" and re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", run_id), record
        assert f"pipeline nightly, run {run_id}" in up.stdout

        status = _soakwatch("status", *base, "--json")
        assert status.returncode == 0, status.stdout
        assert {row["health"] for row in json.loads(status.stdout)["components"]} == {"ready"}
        assert (json.loads(status.stdout)["pipeline"], json.loads(status.stdout)["run_id"]) == ("nightly", run_id)
        assert f"pipeline nightly, run {run_id}" in _soakwatch("status", *base).stdout

        scraped = _scrape_urls(prom_url, {"prometheus", "pushgateway", "soak_probe", "soak_exporter"})
        assert scraped["pushgateway"] == f"http://127.0.0.1:{_flag(port_flags, '--pushgateway-port')}/metrics"
        assert scraped["soak_probe"] == f"http://127.0.0.1:{_flag(port_flags, '--probe-port')}/metrics"
        assert _get_json(f"{prom_url}/api/v1/rules")["data"]["groups"], "no rule group loaded"
        am_port = _flag(port_flags, "--alertmanager-port")
        assert _alertmanager_urls(prom_url) == [f"http://127.0.0.1:{am_port}/api/v2/alerts"]

        vm_url = f"http://127.0.0.1:{_flag(port_flags, '--victoria-metrics-port')}"
        assert _remote_written_jobs(vm_url) & set(scraped), "no remote_write from Prometheus to VictoriaMetrics"
        identity = _remote_written_identity(vm_url)  # target labels survive remote_write
        assert identity["soak_probe"] == identity["pushgateway"] == ("nightly", run_id), identity
        assert identity.get("prometheus", ("", "")) == ("", "")  # not a soak job
        gateway = f"http://127.0.0.1:{_flag(port_flags, '--pushgateway-port')}"
        pushed = _pushed_identity(prom_url, gateway)  # honor_labels: a pushed run_id wins, a missing one is added
        assert (pushed["soak_test_own_run"]["run_id"], pushed["soak_test_own_run"]["pipeline"]) == (
            "pushed-run", "nightly")
        assert (pushed["soak_test_no_run"]["run_id"], pushed["soak_test_no_run"]["pipeline"]) == (run_id, "nightly")

        again = _soakwatch("up", *base, "--config-dir", str(config_dir), *port_flags)
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        down = _soakwatch("down", *base)
    assert down.returncode == 0, down.stderr
    assert record is not None
    still = [c["name"] for c in record["components"] if not _gone(c["pid"], c["create_time"])]
    assert still == [], f"left running: {still}"
    assert state.read_state(state_dir) is None
    assert all(servers.port_is_free(p) for p in record["ports"].values())
    assert _soakwatch("status", *base).returncode == 3


def test_port_in_use_names_the_port_and_the_flag(tmp_path, config_dir, port_flags, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        flags = [*port_flags, "--alertmanager-port", str(port)]
        code = cli.up(["--state-dir", str(tmp_path), "--config-dir", str(config_dir), *flags])
    err = capsys.readouterr().err
    assert code == 1
    assert f"port {port} on 127.0.0.1 is in use; choose another with --alertmanager-port" in err
    assert state.read_state(tmp_path) is None


def test_same_port_twice_is_a_config_error(tmp_path, config_dir, port_flags, capsys):
    port = _flag(port_flags, "--prometheus-port")
    code = cli.up(["--state-dir", str(tmp_path), "--config-dir", str(config_dir), *port_flags,
                   "--pushgateway-port", str(port)])
    assert code == 2
    assert f"invalid config: --pushgateway-port uses port {port}, already used by --prometheus-port" in (
        capsys.readouterr().err)


def test_missing_binary_names_the_debian_package(tmp_path, config_dir, port_flags, capsys, monkeypatch):
    monkeypatch.setattr(servers, "_EXTRA_PATHS", ())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code = cli.up(["--state-dir", str(tmp_path), "--config-dir", str(config_dir), *port_flags])
    assert code == 1
    assert "nats-server not found" in (err := capsys.readouterr().err)
    assert "apt-get install --no-install-recommends nats-server" in err
    assert state.read_state(tmp_path) is None


def test_failed_start_stops_what_already_started(tmp_path, config_dir, port_flags, capsys):
    broken = tmp_path / "config"
    for rel in ("prometheus/prometheus.yml", "alerting/alertmanager.yml"):
        (broken / rel).parent.mkdir(parents=True, exist_ok=True)
        (broken / rel).write_text((config_dir / rel).read_text())
    (broken / "prometheus" / "rules").mkdir(exist_ok=True)
    bad_rule = "groups: [{name: x, rules: [{alert: A, expr: 'up =='}]}]\n"
    (broken / "prometheus" / "rules" / "bad.yml").write_text(bad_rule)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    code = cli.up(["--state-dir", str(tmp_path / "state"), "--config-dir", str(broken), *port_flags,
                   *_optional_commands(), "--timeout", "30"])
    assert code == 1
    assert "prometheus exited" in (err := capsys.readouterr().err) and "bad.yml" in err
    started = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert [p for p in started if p.status() != psutil.STATUS_ZOMBIE] == []
    assert state.read_state(tmp_path / "state") is None


@pytest.mark.parametrize("command", ["status", "down"])
def test_status_and_down_without_a_stack(tmp_path, command, capsys):
    code = getattr(cli, command)(["--state-dir", str(tmp_path)])
    assert code == (3 if command == "status" else 0)
    assert f"no stack started from {tmp_path}" in capsys.readouterr().out


def test_commands_after_up_find_its_ports_and_every_printed_hint_runs_as_printed(tmp_path, config_dir, port_flags):
    """A stack on non-default ports: the demo finds NATS and the Pushgateway, verify-soak finds Prometheus, and
    the hints that `up` and `demo` print run when pasted (from the folder whose .soakwatch holds the stack)."""
    import shlex

    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for name in ("NATS_URL", "TIMESERIES_URL", "PROMETHEUS_URL", state.STATE_DIR_ENV):
        env.pop(name, None)

    def run(argv: list[str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=work, timeout=timeout, check=False)

    up = run([sys.executable, "-m", "soakwatch", "up", "--config-dir", str(config_dir), *port_flags,
              "--scrape-interval", "1s"])
    try:
        assert up.returncode == 0, up.stderr
        demo = run([sys.executable, "-m", "soakwatch", "demo", "--minutes", "0.3", "--warmup", "0"])
        assert demo.returncode == 0, demo.stderr
        stack_run = state.read_state(work / state.DEFAULT_STATE_DIR)["run_id"]  # the run_id label of its series
        assert f"demo: run {stack_run} " in demo.stdout, demo.stdout  # the demo takes the stack's run id
        hint = next(line for line in demo.stdout.splitlines() if line.startswith("demo: verify with: "))
        verify = shlex.split(hint.removeprefix("demo: verify with: "), comments=True)
        assert verify[0] == "verify-soak" and "--prometheus-url" in verify
        pasted = run([sys.executable, "-m", "soakwatch", "verify", *verify[1:]])
        assert pasted.returncode in (0, 1) and "verdict:" in pasted.stdout, pasted.stderr  # a verdict, not exit 2
        note = next(line for line in up.stdout.splitlines() if "verify-soak --since" in line)
        suggested = shlex.split(note[note.index("verify-soak"):note.index("` and open")])
        from_up = run([sys.executable, "-m", "soakwatch", "verify", *suggested[1:]])
        assert from_up.returncode in (0, 1) and "verdict:" in from_up.stdout, from_up.stderr
        found = run([sys.executable, "-m", "soakwatch", "verify", "--since", "20s", "--only", "tick_rate"])
        assert found.returncode in (0, 1), found.stderr  # no --prometheus-url: the stack's own, read from .soakwatch
    finally:
        run([sys.executable, "-m", "soakwatch", "down"], timeout=60)
