"""`soakwatch up --exporter-config FILE`: the file's probe section reaches the real probe (its subjects, event-time
field and unit, sequence field) and the real exporter maps the pipeline's heartbeats."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nats as nats_client
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

SRC = Path(__file__).resolve().parents[3] / "src"
CONFIG = """
health:
  subject_prefix: app.status
  processes: [ingest]
  fields: {status: state}
  values: {status: {ok: healthy}}
probe:
  subjects: [app.px.>]
  ts_field: t_ms
  ts_unit: ms
  seq_field: n
"""


def _soakwatch(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-m", "soakwatch", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)


def _metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def _port(flags: list[str], flag: str) -> int:
    return int(flags[flags.index(flag) + 1])


async def _publish(url: str) -> None:
    nc = await nats_client.connect(url)
    try:
        for n in (*range(1, 11), 13):  # 11 and 12 never sent: two sequence gaps
            await nc.publish("app.px.EURUSD", orjson.dumps({"t_ms": int(time.time() * 1000), "n": n, "px": 1.1}))
        await nc.publish("market.tick.X", orjson.dumps({"ts_ms": int(time.time() * 1000)}))  # not watched
        await nc.publish("app.status.ingest", orjson.dumps({"state": "ok"}))
        await nc.flush()
    finally:
        await nc.close()


@pytest.mark.timeout(180)
def test_up_starts_the_probe_with_the_configs_tick_settings(tmp_path, config_dir, port_flags):
    (tmp_path / "soak.yaml").write_text(CONFIG)
    base = ["--state-dir", str(tmp_path / "state")]
    up = _soakwatch("up", *base, "--config-dir", str(config_dir), *port_flags, "--no-alert-log",
                    "--exporter-config", str(tmp_path / "soak.yaml"))
    try:
        assert up.returncode == 0, up.stderr
        asyncio.run(_publish(f"nats://127.0.0.1:{_port(port_flags, '--nats-port')}"))
        probe_port, exporter_port = _port(port_flags, "--probe-port"), _port(port_flags, "--exporter-port")
        deadline = time.monotonic() + 30
        counted = (("soak_nats_messages_total", ()), ("soak_nats_latency_seconds_count", ()))
        while [(probe := _metrics(probe_port)).get(key) for key in counted] != [11, 11]:  # latency: per window
            assert time.monotonic() < deadline, f"probe saw {[probe.get(key) for key in counted]} ticks"
            time.sleep(0.2)
        assert probe[("soak_nats_sequence_gaps_total", ())] == 2
        assert probe[("soak_nats_latency_seconds_sum", ())] < 5  # every t_ms read as milliseconds
        assert sum(v for (name, _), v in probe.items() if name == "soak_nats_parse_errors_total") == 0
        while _metrics(exporter_port).get(
                ("soak_health_checks_total", (("process", "ingest"), ("status", "healthy")))) != 1:
            assert time.monotonic() < deadline, "the mapped heartbeat never counted"
            time.sleep(0.2)
    finally:
        down = _soakwatch("down", *base)
    assert down.returncode == 0, down.stderr
