"""Two stacks on one host remote-write to one real VictoriaMetrics; each run's series keep their pipeline and run_id.

Each `soakwatch up` has its own state folder, ports, `--pipeline` and `--run-id`, and `--remote-write` to the
shared store. In the store, the scraped series, the recording rules' results and every query of the soak-run
dashboard at one run's variable values belong to that run only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from soakwatch.dashboards import DASHBOARDS, dashboard_json
from soakwatch.dashboards.queries import resolved_values, run_query, selector_runs, variable_options
from soakwatch.stack import free_port, victoria_metrics
from soakwatch.stack.state import PORTS

SRC = Path(__file__).resolve().parents[3] / "src"
RUNS = ({"pipeline": "dev", "run_id": "20261130T120000Z-aaaa"},
        {"pipeline": "nightly", "run_id": "20261130T110000Z-bbbb"})
SCRAPED = {"soak_probe", "soak_exporter", "pushgateway"}


def _soakwatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for name in ("SOAK_PIPELINE", "SOAK_RUN_ID", "SOAKWATCH_REMOTE_WRITE"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "soakwatch", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def _port_flags(taken: set[int]) -> list[str]:
    ports: list[int] = []
    while len(ports) < len(PORTS):
        port = free_port()
        if port not in taken:
            taken.add(port)
            ports.append(port)
    return [item for port, number in zip(PORTS, ports, strict=True) for item in (port.flag, str(number))]


def _in_store(vm_url: str, expr: str, want: int, timeout: float = 60.0) -> list[dict]:
    """The result of ``expr`` in VictoriaMetrics once it has ``want`` series (flushed before each try)."""
    deadline = time.monotonic() + timeout
    while True:
        urllib.request.urlopen(f"{vm_url}/internal/force_flush", timeout=5).close()
        result = run_query(vm_url, expr)["data"]["result"]
        if len(result) >= want or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


@pytest.fixture
def store(tmp_path):
    """``vm_url`` with two stacks remote-writing to it, both stopped afterwards."""
    state_dirs = [tmp_path / f"stack-{run['pipeline']}" for run in RUNS]
    with victoria_metrics(tmp_path / "vm") as vm:
        taken = {vm.ports["http"]}
        try:
            for run, state_dir in zip(RUNS, state_dirs, strict=True):
                up = _soakwatch("up", "--state-dir", str(state_dir), *_port_flags(taken), "--pipeline",
                                run["pipeline"], "--run-id", run["run_id"], "--scrape-interval", "1s",
                                "--remote-write", f"{vm.url}/api/v1/write", "--no-alert-log")
                assert up.returncode == 0, up.stderr
                assert f"pipeline {run['pipeline']}, run {run['run_id']}" in up.stdout
            yield vm.url
        finally:
            for state_dir in state_dirs:
                _soakwatch("down", "--state-dir", str(state_dir))


def test_two_runs_in_one_store_stay_apart(store):
    vm_url = store
    ups = _in_store(vm_url, 'count by (pipeline, run_id, job) (up{job=~"soak_.*|pushgateway"})', 6)
    jobs: dict[tuple[str, str], set[str]] = {}
    for series in ups:
        key = (series["metric"].get("pipeline", ""), series["metric"].get("run_id", ""))
        jobs.setdefault(key, set()).add(series["metric"]["job"])
    assert jobs == {(r["pipeline"], r["run_id"]): SCRAPED for r in RUNS}, jobs
    # each stack's rules ran on its own series and kept the labels through remote_write
    rules = _in_store(vm_url, "count by (pipeline, run_id) (job:soak_nats_messages:rate1m)", 2)
    assert {(s["metric"]["pipeline"], s["metric"]["run_id"]) for s in rules} == {
        (r["pipeline"], r["run_id"]) for r in RUNS}

    model = json.loads(dashboard_json(DASHBOARDS["soak-run"]))
    run_variable = next(v for v in model["templating"]["list"] if v["name"] == "run")
    assert variable_options(vm_url, run_variable, {"pipeline": ".*"}) == [RUNS[0]["run_id"], RUNS[1]["run_id"]]
    assert variable_options(vm_url, run_variable, {"pipeline": "nightly"}) == [RUNS[1]["run_id"]]
    for run in RUNS:
        values = resolved_values(vm_url, model, chosen={"pipeline": run["pipeline"], "run": run["run_id"]})
        read = selector_runs(vm_url, model, values)
        for where, selector, runs in read:
            assert runs <= {(run["pipeline"], run["run_id"])}, f"{where}: {selector} reads {runs}"
        with_data = {selector.split("{")[0] for _, selector, runs in read if runs}
        assert {"up", "soak_nats_messages_total", "soak_harvester_queue_dropped_total"} <= with_data, with_data
