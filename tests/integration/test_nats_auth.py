"""nkey and creds (JWT) authentication work in every command that talks to NATS, against a real nats-server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nats as nats_client
import pytest
from nats_auth_support import AuthServer, nkey_server, operator_server
from prometheus_client.parser import text_string_to_metric_families

from soakwatch.instrument import Instrument
from soakwatch.stack import free_port

SOAKWATCH = [sys.executable, "-m", "soakwatch"]


@pytest.fixture(params=["nkey", "creds"])
def auth(request, tmp_path: Path) -> Iterator[AuthServer]:
    start = nkey_server if request.param == "nkey" else operator_server
    served = start(tmp_path / request.param)
    try:
        yield served
    finally:
        served.server.stop()


def _run(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_probe_measures_ticks_published_by_ticks(auth: AuthServer, tmp_path: Path) -> None:
    url = ["--nats-url", auth.server.url, *auth.flags]
    port = free_port()
    argv = [*SOAKWATCH, "probe", *url, "--duration", "8", "--format", "json", "--out", str(tmp_path / "summary.json"),
            "--web.listen-address", f"127.0.0.1:{port}"]
    probe = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: "soak_nats_connected 1.0" in _scrape(f"http://127.0.0.1:{port}/metrics"), probe)
        ticks = _run([*SOAKWATCH, "ticks", *url, "--rate", "200", "--duration", "2"])
        assert ticks.returncode == 0, ticks.stderr
        assert probe.wait(30) == 0, probe.stderr.read() if probe.stderr else ""
    finally:
        probe.kill()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["total"] > 0


def test_bench_pubsub_runs(auth: AuthServer) -> None:
    result = _run([*SOAKWATCH, "bench", "pubsub", "--nats-url", auth.server.url, *auth.flags, "--msgs", "200",
                   "--repeats", "1", "--warmup", "0"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["mode"] == "pubsub"


def test_exporter_counts_an_authenticated_heartbeat(auth: AuthServer, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "soak.yaml"
    config.write_text(f"exporter: {{listen_address: 127.0.0.1:{port}}}\n"
                      "health: {interval: 10, processes: [signal]}\n")
    exporter = subprocess.Popen([*SOAKWATCH, "export", "--config", str(config), "--nats-url", auth.server.url,
                                 *auth.flags], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        asyncio.run(_heartbeat_until_counted(auth, f"http://127.0.0.1:{port}/metrics", exporter))
        assert _sample(_scrape(f"http://127.0.0.1:{port}/metrics"), "soak_exporter_nats_connected") == 1.0
    finally:
        exporter.terminate()
        exporter.wait(10)


def test_exporter_names_a_rejected_login(auth: AuthServer, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "soak.yaml"
    config.write_text(f"exporter: {{listen_address: 127.0.0.1:{port}}}\n"
                      "health: {interval: 10, processes: [signal]}\n")
    exporter = subprocess.Popen([*SOAKWATCH, "export", "--config", str(config), "--nats-url", auth.server.url],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    metrics = f"http://127.0.0.1:{port}/metrics"
    try:
        _wait_for(lambda: _sample(_scrape(metrics), "soak_exporter_errors_total",
                                  collector="nats", reason="authorization") >= 1, exporter)
        assert _sample(_scrape(metrics), "soak_exporter_nats_connected") == 0.0
    finally:
        exporter.terminate()
        _, err = exporter.communicate(timeout=10)
    assert "authorization" in err and "Traceback" not in err


async def _heartbeat_until_counted(auth: AuthServer, metrics: str, exporter: subprocess.Popen[str]) -> None:
    flag, path = auth.flags
    options = {"nkeys_seed": path} if flag == "--nkey" else {"user_credentials": path}
    nc = await nats_client.connect(auth.server.url, connect_timeout=5, **options)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert exporter.poll() is None, exporter.stderr.read() if exporter.stderr else ""
            await Instrument(nc, process="signal").heartbeat("healthy")
            if _sample(_scrape(metrics), "soak_health_checks_total", process="signal", status="healthy") >= 1:
                return
            await asyncio.sleep(0.3)
        raise AssertionError("the exporter never counted the heartbeat")
    finally:
        await nc.close()


def _wait_for(ready, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "not ready in time"
        time.sleep(0.1)


def _sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return -1.0


def _scrape(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return ""
