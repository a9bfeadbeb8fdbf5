"""Runs of `soakwatch quickstart` as a user starts them: two on one host never judge each other's processes,
and a run cut short by Ctrl-C still stops in order and writes the verdict of the run so far, but never exits 0.

Each quickstart is its own process group with its own stack (state folder and ports), Prometheus scraping
every second and the pipeline's heartbeats, stats and exports shortened to match.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from soakwatch.exporters.soak.procscan import boot_time_offset
from soakwatch.stack import cli as stack_cli
from soakwatch.stack import free_port, state, victoria_metrics
from soakwatch.stack.state import PORTS

REPO_ROOT = Path(__file__).resolve().parents[3]
SRC = REPO_ROOT / "src"
SHORT = ["--scrape-interval", "1s", "--demo-arg=--heartbeat-interval=2", "--demo-arg=--stats-interval=2",
         "--demo-arg=--export-interval=10", "--demo-arg=--rate=2000", "--demo-arg=--warmup=0"]  # two pipelines, 2 cores


def _other_ports(taken: list[str]) -> list[str]:
    """Every port flag of `soakwatch up` on free ports none of which is in ``taken``."""
    ports: set[int] = set()
    while len(ports) < len(PORTS):
        if str(port := free_port()) not in taken:
            ports.add(port)
    return [item for port, number in zip(PORTS, sorted(ports), strict=True) for item in (port.flag, str(number))]


def _start(state_dir: Path, ports: list[str], minutes: float, run_id: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    argv = [sys.executable, "-m", "soakwatch", "quickstart", "--state-dir", str(state_dir), "--config-dir",
            str(REPO_ROOT), "--minutes", str(minutes), "--run-id", run_id, *ports, *SHORT, *extra]
    err = open(state_dir.parent / f"{run_id}.err", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, text=True, start_new_session=True)


def _workers(state_dir: Path) -> dict[tuple[int, float], str]:
    """The demo workers of one state folder now: (pid, wall-clock start as the exporter computes it) -> role."""
    found, offset = {}, boot_time_offset()
    for proc in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = proc.info["cmdline"] or []
        if "soakwatch.demo.worker" in cmdline and str(state_dir / "demo") in cmdline:
            found[(proc.pid, proc.info["create_time"] + offset)] = cmdline[cmdline.index("soakwatch.demo.worker") + 1]
    return found


def _prometheus(ports: list[str]) -> str:
    return f"http://127.0.0.1:{ports[ports.index('--prometheus-port') + 1]}"


def _start_times(prometheus: str, manifest: dict) -> dict[str, set[float]]:
    """Every value of soak_process_start_time_seconds the run's Prometheus recorded, per process."""
    window = manifest["window"]
    query = {"query": "soak_process_start_time_seconds", "start": window["start"] - 5, "end": window["end"] + 5,
             "step": 1}
    with urllib.request.urlopen(f"{prometheus}/api/v1/query_range?{urllib.parse.urlencode(query)}") as answer:
        result = json.load(answer)["data"]["result"]
    return {r["metric"]["process"]: {round(float(v), 2) for _, v in r["values"]} for r in result}


def _criteria(state_dir: Path) -> dict[str, dict]:
    verdict = state_dir / "runs" / "latest" / "evidence" / "verdict.json"
    return {c["id"]: c for c in json.loads(verdict.read_text())["criteria"]}


def _finish(proc: subprocess.Popen[str], timeout: float) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_runs_on_one_host_each_judge_only_their_own_processes(tmp_path, port_flags):
    faulty_dir, clean_dir = (tmp_path / "a" / "state").resolve(), (tmp_path / "b" / "state").resolve()
    faulty_dir.parent.mkdir()
    clean_dir.parent.mkdir()
    clean_ports = _other_ports(port_flags)
    seen: dict[Path, dict[tuple[int, float], str]] = {faulty_dir: {}, clean_dir: {}}
    faulty = _start(faulty_dir, [*port_flags, "--keep-up"], 0.75, "run-a", "--fault", "kill:signal@10s+15s")
    clean = None
    try:
        started = time.monotonic()
        while faulty.poll() is None and time.monotonic() - started < 240:  # record every worker of both runs
            if clean is None and time.monotonic() - started >= 10:
                clean = _start(clean_dir, [*clean_ports, "--keep-up"], 0.75, "run-b")
            for state_dir in seen:
                seen[state_dir].update(_workers(state_dir))
            time.sleep(0.2)
        assert clean is not None
        out_faulty, out_clean = _finish(faulty, 60), _finish(clean, 120)
        manifests = {d: json.loads((d / "demo" / "run_manifest.json").read_text()) for d in seen}
        recorded = {faulty_dir: _start_times(_prometheus(port_flags), manifests[faulty_dir]),
                    clean_dir: _start_times(_prometheus(clean_ports), manifests[clean_dir])}
    finally:
        for state_dir in (faulty_dir, clean_dir):
            stack_cli.down(["--state-dir", str(state_dir)])
    assert "quickstart: verdict" in out_faulty and "quickstart: verdict" in out_clean, (out_faulty, out_clean)

    # each exporter names only its own run's processes: every start time it recorded is one of its workers'
    for state_dir, other in ((faulty_dir, clean_dir), (clean_dir, faulty_dir)):
        own = {role: {t for (_, t), r in seen[state_dir].items() if r == role} for role in recorded[state_dir]}
        theirs = {t for _, t in seen[other]}
        for role, values in recorded[state_dir].items():
            assert values and all(any(abs(v - t) <= 0.02 for t in own[role]) for v in values), (role, values, own)
            assert not any(abs(v - t) <= 0.02 for v in values for t in theirs), (role, values, theirs)
    assert len(recorded[faulty_dir]["signal"]) == 2 and len(recorded[clean_dir]["signal"]) == 1

    faulty_criteria, clean_criteria = _criteria(faulty_dir), _criteria(clean_dir)
    assert faulty_criteria["restart_recovery"]["result"] == "fail", faulty_criteria["restart_recovery"]
    assert faulty_criteria["restart_recovery"]["failed_processes"] == ["signal"]
    downtime = re.search(r"signal: 1 restart\(s\), longest downtime ([0-9.]+) s",
                         " ".join(faulty_criteria["restart_recovery"]["notes"]))
    assert downtime and 14.0 <= float(downtime[1]) <= 16.5, faulty_criteria["restart_recovery"]["notes"]
    for cid in ("restart_recovery", "shutdown_order"):
        assert clean_criteria[cid]["result"] == "pass", (cid, clean_criteria[cid])
    bundle = json.loads((clean_dir / "runs" / "latest" / "evidence" / "run_manifest.json").read_text())
    assert {p: s["restart_count"] for p, s in bundle["status"]["processes"].items()} == dict.fromkeys(
        ("broker", "harvest", "report", "signal"), 0)
    assert bundle["restart_backoff_pattern"] == []
    assert manifests[faulty_dir]["run_id"] == "run-a" and manifests[clean_dir]["run_id"] == "run-b"


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_ctrl_c_judges_the_run_so_far_and_never_exits_0(tmp_path, port_flags):
    state_dir = (tmp_path / "state").resolve()
    proc = _start(state_dir, port_flags, 3, "cut-short")
    err = tmp_path / "cut-short.err"
    try:
        deadline = time.monotonic() + 60
        while "demo: pipeline up" not in err.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.2)
        time.sleep(30)
        workers = _workers(state_dir)
        assert len(workers) == 4
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C on a terminal: the whole foreground process group
        out = _finish(proc, 120)
        assert state.read_state(state_dir) is None, "the stack was left running"
    finally:
        stack_cli.down(["--state-dir", str(state_dir)])
    assert proc.returncode == 130, (out, err.read_text())
    assert "quickstart: the run was cut short (exit 130)" in out
    assert f"--run-manifest {state_dir / 'demo' / 'run_manifest.json'}" in out
    assert "quickstart: verdict " in out and (state_dir / "runs" / "latest" / "evidence" / "verdict.json").is_file()
    manifest = json.loads((state_dir / "demo" / "run_manifest.json").read_text())
    assert manifest["run_id"] == "cut-short" and manifest["planned_duration_seconds"] == 180.0
    assert manifest["status"]["state"] == "interrupted"
    assert manifest["shutdown_order"] == ["report", "broker", "signal", "harvest"]
    assert 25 <= manifest["window"]["end"] - manifest["window"]["start"] <= 60
    verdict = json.loads((state_dir / "runs" / "latest" / "evidence" / "verdict.json").read_text())
    assert verdict["window"]["seconds"] <= 65  # the run so far, not the planned 3 minutes
    assert verdict["run_id"] == "cut-short" and verdict["verdict"] == "fail"
    run_duration = next(c for c in verdict["criteria"] if c["id"] == "run_duration")
    assert run_duration["result"] == "fail"  # planned 3 minutes, ran well under one: never a pass
    assert not [pid for pid, _ in workers if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]


def _verify(store_url: str, quickstart_out: str, *scope: str) -> tuple[int, str]:
    """verify-soak against ``store_url`` with the window and manifest of a quickstart's own verdict, and ``scope``."""
    argv = re.search(r"^quickstart: verify-soak (.*)$", quickstart_out, re.M)[1].split()
    since, until = (argv[argv.index(flag) + 1] for flag in ("--since", "--until"))
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for name in ("SOAK_PIPELINE", "SOAK_RUN_ID", "SOAK_SELECTOR"):
        env.pop(name, None)
    argv = [sys.executable, "-m", "soakwatch", "verify", "--prometheus-url", store_url, "--since", since,
            "--until", until, "--format", "json", *scope]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def _flushed(store_url: str, run_id: str, until: float, deadline: float) -> None:
    """Wait until the store holds the run's samples up to ``until`` (remote_write sends them a little later)."""
    query = urllib.parse.urlencode({"query": f'max(timestamp(up{{run_id="{run_id}",job="soak_exporter"}}))',
                                    "time": until + 30})
    while time.monotonic() < deadline:
        urllib.request.urlopen(f"{store_url}/internal/force_flush", timeout=5).close()
        with urllib.request.urlopen(f"{store_url}/api/v1/query?{query}", timeout=10) as answer:
            result = json.load(answer)["data"]["result"]
        if result and float(result[0]["value"][1]) >= until:
            return
        time.sleep(1)
    raise AssertionError(f"run {run_id}: the store never caught up to {until}")


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_two_pipelines_in_one_central_store_get_each_its_own_verdict(tmp_path, port_flags, monkeypatch):
    """Two quickstarts (a clean pipeline and one with a killed process) remote-write to one VictoriaMetrics:
    scoped to a run, verify-soak against the store gives the verdict that run got from its own Prometheus;
    unscoped, it refuses and lists both runs."""
    runs = {"dev": ("dev-clean", []), "nightly": ("nightly-faulty", ["--fault", "kill:signal@10s+15s"])}
    with victoria_metrics(tmp_path / "vm", extra_args=["-retentionPeriod=100y"]) as vm:
        monkeypatch.setenv("SOAKWATCH_REMOTE_WRITE", f"{vm.url}/api/v1/write")
        taken = [*port_flags, str(vm.ports["http"])]
        procs, dirs = {}, {}
        try:
            for pipeline, (run_id, fault) in runs.items():
                dirs[pipeline] = (tmp_path / pipeline / "state").resolve()
                dirs[pipeline].parent.mkdir()
                ports = _other_ports(taken)
                taken += ports
                procs[pipeline] = _start(dirs[pipeline], [*ports, "--keep-up"], 0.75, run_id, "--pipeline",
                                         pipeline, *fault)
            outs = {pipeline: _finish(proc, 300) for pipeline, proc in procs.items()}
            own = {p: json.loads((d / "runs" / "latest" / "evidence" / "verdict.json").read_text())
                   for p, d in dirs.items()}
            for pipeline, verdict in own.items():
                _flushed(vm.url, runs[pipeline][0], verdict["window"]["end_unix"], time.monotonic() + 60)
            scoped = {p: _verify(vm.url, outs[p], "--pipeline", p, "--run-id", runs[p][0], "--run-manifest",
                                 str(dirs[p] / "demo" / "run_manifest.json")) for p in runs}
            unscoped = _verify(vm.url, outs["dev"])
        finally:
            for state_dir in dirs.values():
                stack_cli.down(["--state-dir", str(state_dir)])
    assert all("quickstart: verdict" in out for out in outs.values()), outs
    results = {p: {c["id"]: c["result"] for c in verdict["criteria"]} for p, verdict in own.items()}
    assert results["dev"]["restart_recovery"] == "pass" and results["nightly"]["restart_recovery"] == "fail", results
    for pipeline, (code, out) in scoped.items():
        document = json.loads(out[out.index("{"):])
        assert document["scope"]["pipeline"] == pipeline and document["scope"]["run_id"] == runs[pipeline][0]
        store = {c["id"]: c["result"] for c in document["criteria"]}
        # VictoriaMetrics' rate() also counts the increase since the last sample before the window: on a run of
        # 45 s the probe's first second may tip the warning-severity p99 either way (docs/criteria.md, tick_latency)
        assert {store.pop("tick_latency"), results[pipeline]["tick_latency"]} <= {"pass", "warn"}, (pipeline, out)
        assert store == {k: v for k, v in results[pipeline].items() if k != "tick_latency"}, (pipeline, out)
        assert document["verdict"] == own[pipeline]["verdict"], (pipeline, out)
        assert code == own[pipeline]["exit_code"], (pipeline, out)
    code, out = unscoped
    assert code == 2, out
    for pipeline, (run_id, _) in runs.items():
        assert f"pipeline {pipeline}, run_id {run_id}" in out, out
