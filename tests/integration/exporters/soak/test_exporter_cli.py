"""`soakwatch export` as a real process: /metrics over HTTP is `promtool check metrics` clean, carries
the NATS-fed and process series, pushes the same registry over OTLP, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import nats as nats_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from soakwatch.instrument import Instrument
from soakwatch.stack import free_port
from soakwatch.testing import OtlpReceiver

CONFIG = """
processes:
  interval: 0.2
  match:
    sleeper: '{marker}'
health: {{interval: 0.5, processes: [signal]}}
harvester: true
signals: true
exports: true
sinks:
  jsonl: {state}/signals.jsonl
  sqlite: {state}/signals.sqlite
  interval: 0.2
manifest:
  path: {state}/run_manifest*.json
  interval: 0.2
"""


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.read().decode()


def _values(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _number(point) -> float:
    return getattr(point, point.WhichOneof("value"))


async def _until_scraped(url, key, expected, proc, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            text = _scrape(url)
            if _values(text).get(key) == expected:
                return text
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{key} never reached {expected}"
        await asyncio.sleep(0.1)


@pytest.mark.timeout(60)
async def test_export_command_serves_promtool_clean_metrics_and_pushes_otlp(nats, tmp_path, repo_root):
    marker = f"soakwatch-test-{uuid.uuid4().hex}"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    config = tmp_path / "soak.yaml"
    config.write_text(CONFIG.format(marker=marker, state=tmp_path))
    (tmp_path / "run_manifest_1.json").write_text('{"status": {"processes": {"sleeper": {"restart_count": 3}}}}')
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    with OtlpReceiver() as receiver:
        proc = subprocess.Popen(
            [sys.executable, "-m", "soakwatch", "export", "--config", str(config),
             "--web.listen-address", f"127.0.0.1:{port}", "--nats-url", nats.url,
             "--otlp-endpoint", receiver.endpoint, "--otlp-interval", "0.3"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}/metrics"
        try:
            await _until_scraped(url, ("soak_process_up", (("process", "sleeper"),)), 1.0, proc)
            nc = await nats_client.connect(nats.url)
            deadline = time.monotonic() + 15
            healthy = ("soak_health_checks_total", (("process", "signal"), ("status", "healthy")))
            while healthy not in _values(_scrape(url)):  # heartbeats until the exporter has subscribed
                assert time.monotonic() < deadline, "heartbeats never counted"
                await Instrument(nc, "signal").heartbeat("healthy")
                await nc.flush()
                await asyncio.sleep(0.1)
            for _ in range(3):
                await Instrument(nc, "signal").signal(confirm=True, strong=False)
            await Instrument(nc, "report").export_event("prometheus", ok=True)
            await nc.close()
            text = await _until_scraped(url, ("soak_timeseries_exports_total", (("backend", "prometheus"),)), 1.0,
                                        proc)
            values = _values(text)
            assert values[("soak_signals_total", ())] == 3
            assert values[("soak_signals_confirmed_total", ())] == 3
            assert values[("soak_process_restarts_total", (("process", "sleeper"),))] == 3  # manifest floor
            assert values[("soak_exporter_info", (("exporter", "soak_exporter"), ("version", "0.1.0")))] == 1
            assert ("soak_sink_parity_diff_ratio", (("field", "total"),)) in values
            assert values[("process_cpu_seconds_total", ())] > 0  # the exporter's own process
            lint = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
            assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
            receiver.wait_for(2)
            pushed = receiver.latest_metrics()
            assert _number(pushed["soak_signals"].sum.data_points[0]) == 3
            assert pushed["soak_signals"].sum.is_monotonic
            assert _number(pushed["soak_process_up"].gauge.data_points[0]) == 1
            assert "soak_exporter_info" in pushed
            assert receiver.resource_attributes()["service.name"] == "soak-exporter"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(15)
            finally:
                if proc.poll() is None:
                    proc.kill()
                sleeper.kill()
                sleeper.wait()
        assert code == 0, proc.stderr.read().decode()


def test_export_command_bad_config_exits_2_naming_field(tmp_path, capsys):
    from soakwatch.cli import main

    config = tmp_path / "soak.yaml"
    config.write_text("processes:\n  interval: -5\n")
    assert main(["export", "--config", str(config)]) == 2
    assert "soakwatch export: invalid config: processes.interval must be > 0, got -5" in capsys.readouterr().err
    assert main(["export"]) == 2
    assert "invalid config: --config is required" in capsys.readouterr().err
    config.write_text("signals: true\n")
    assert main(["export", "--config", str(config), "--web.listen-address", "host:notaport"]) == 2
    assert "invalid config: --web.listen-address must be HOST:PORT" in capsys.readouterr().err
