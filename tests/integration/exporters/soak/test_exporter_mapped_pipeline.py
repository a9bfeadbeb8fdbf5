"""A pipeline that speaks other names: `soakwatch export` against a real nats-server maps its payloads to the
contract's metrics on /metrics; health from real processes being up (liveness), signals from a real JSONL
file, harvester figures from a real run manifest, a real HTTP health endpoint with its own body."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nats as nats_client
import orjson
import pytest
from prometheus_client import CollectorRegistry

from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.stack import free_port
from soakwatch.testing.samples import sample_values, scrape, value

MAPPED_CONFIG = """
health:
  subject_prefix: app.status
  processes: [ingest, score]
  interval: 0.2
  fields: {status: state}
  values:
    status: {ok: healthy, warn: degraded, down: unhealthy}
harvester:
  subject: app.ingest.stats
  fields: {queue_dropped: dropped, substream_timeouts: timeouts, reconnect_count: reconnects, queue_depth: backlog}
signals:
  subject: app.signal.>
  fields: {confirm: confirmed, strong: is_strong, consistency: quality, gating: gate}
  values:
    consistency: {good: ok, bad: low}
exports:
  subject: app.export
  backends: [influx]
  fields: {backend: target, ok: success, error: err}
probe:
  subjects: [app.px.>]
  ts_field: t_ms
  ts_unit: ms
"""


async def _until(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    return found


@pytest.mark.timeout(60)
async def test_mapped_payloads_become_the_contracts_metrics_on_metrics(nats, tmp_path, repo_root):
    config = tmp_path / "soak.yaml"
    config.write_text(MAPPED_CONFIG)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    checked = subprocess.run([sys.executable, "-m", "soakwatch", "export", "--config", str(config), "--check-config"],
                             capture_output=True, text=True, env=env, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "fields:\n    status: state" in checked.stdout and "ok: healthy" in checked.stdout
    proc = subprocess.Popen([sys.executable, "-m", "soakwatch", "export", "--config", str(config), "--nats-url",
                             nats.url, "--web.listen-address", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    nc = await nats_client.connect(nats.url)
    try:
        connected = ("soak_exporter_nats_connected", ())
        await _until(lambda: (m := scrape(port)) and m.get(connected) == 1, 30, "exporter up")
        for state in ("ok", "ok", "warn", "down"):
            await nc.publish("app.status.ingest", orjson.dumps({"state": state, "service": "ingest"}))
        await nc.publish("app.ingest.stats", orjson.dumps({"dropped": 2, "timeouts": 1, "reconnects": 0,
                                                             "backlog": 9}))
        for i in range(6):
            await nc.publish(f"app.signal.s{i % 2}", orjson.dumps({
                "confirmed": i % 2 == 0, "is_strong": i < 2, "quality": "bad" if i == 5 else "good",
                "gate": "spread" if i == 4 else None}))
        await nc.publish("app.export", orjson.dumps({"target": "influx", "success": True, "err": None}))
        await nc.publish("app.export", orjson.dumps({"target": "influx", "success": False, "err": "refused"}))
        await nc.flush()
        metrics = await _until(lambda: (m := scrape(port)) and m.get(
            ("soak_timeseries_export_errors_total", (("backend", "influx"),))) == 1 and m, what="mapped metrics")
        checks = {status: metrics[("soak_health_checks_total", (("process", "ingest"), ("status", status)))]
                  for status in ("healthy", "degraded", "unhealthy")}
        assert checks == {"healthy": 2, "degraded": 1, "unhealthy": 1}
        assert metrics[("soak_harvester_queue_dropped_total", ())] == 2
        assert metrics[("soak_harvester_substream_timeouts_total", ())] == 1
        assert metrics[("soak_harvester_queue_depth", ())] == 9
        assert metrics[("soak_signals_total", ())] == 6
        assert metrics[("soak_signals_confirmed_total", ())] == 3
        assert metrics[("soak_signals_strong_total", ())] == 2
        assert metrics[("soak_signals_low_consistency_total", ())] == 1
        assert metrics[("soak_signals_gated_total", (("reason", "spread"),))] == 1
        assert metrics[("soak_timeseries_exports_total", (("backend", "influx"),))] == 1
        assert metrics[("soak_exporter_errors_total", (("collector", "health"), ("reason", "unknown_status")))] == 0
        sources = {dict(labels)["data"]: dict(labels)["source"] for (name, labels) in metrics
                   if name == "soak_exporter_source_info"}
        assert sources == {"health": "heartbeats", "harvester": "nats", "signals": "nats", "exports": "nats"}
    finally:
        await nc.close()
        proc.terminate()
        assert proc.wait(15) == 0, proc.stderr.read().decode()[-2000:]


@contextlib.asynccontextmanager
async def _running(config) -> AsyncIterator[CollectorRegistry]:
    """The soak exporter of ``config`` running in this event loop; its registry. Stopped and closed on exit."""
    exporter = SoakExporter(config)
    registry = CollectorRegistry()
    exporter.register(registry)
    stop = asyncio.Event()
    task = asyncio.create_task(exporter.run(stop, None))
    try:
        yield registry
    finally:
        stop.set()
        await task
        exporter.close()


def _sleeper(marker: str, role: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker, role])


@pytest.mark.timeout(60)
async def test_liveness_health_from_real_processes():
    marker = f"soakwatch-liveness-{uuid.uuid4().hex}"
    config = parse_config({
        "processes": {"match": {r: {"cmdline": rf"{re.escape(marker)}\s+{r}\b"} for r in ("ingest", "score")},
                      "interval": 0.2, "liveness_interval": 0.05},
        "health": {"source": "liveness", "interval": 0.2}})
    ingest = _sleeper(marker, "ingest")
    try:
        async with _running(config) as registry:

            def checks(process, status):
                return value(registry, "soak_health_checks_total", process=process, status=status) or 0

            await _until(lambda: checks("ingest", "healthy") >= 3, what="healthy checks of a running process")
            assert checks("score", "healthy") == 0 and checks("score", "missing") >= 2  # never started
            ingest.kill()
            ingest.wait()
            before = checks("ingest", "missing")
            await _until(lambda: checks("ingest", "missing") >= before + 2, what="missing checks after the kill")
            assert value(registry, "soak_process_healthy", process="ingest") == 0
            assert _source_info(registry)["health"] == "liveness"
            assert checks("ingest", "degraded") == checks("ingest", "unhealthy") == 0  # liveness knows only up/down
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()


@pytest.mark.timeout(60)
async def test_signals_counted_from_a_real_jsonl_file_and_harvester_from_a_real_manifest(tmp_path):
    sink, manifest = tmp_path / "out" / "signals.jsonl", tmp_path / "run_manifest.json"
    config = parse_config({
        "sinks": {"jsonl": str(sink), "interval": 0.1},
        "signals": {"source": "jsonl", "fields": {"strong": "is_strong"}},
        "manifest": {"path": str(tmp_path / "run_manifest*.json"), "interval": 0.1},
        "harvester": {"source": "manifest", "fields": {"queue_dropped": "dropped"}}})
    assert not config.needs_nats()
    async with _running(config) as registry:
        sink.parent.mkdir()
        with sink.open("w") as handle:
            for i in range(5):
                handle.write(json.dumps({"ts": time.time(), "confirm": True, "is_strong": i == 0}) + "\n")
            handle.flush()
            await _until(lambda: value(registry, "soak_signals_total") == 5, what="signals from the file")
            handle.write('{"ts": 1, "confirm": false, "is_str')  # half a line waits for the rest
            handle.flush()
            await asyncio.sleep(0.3)
            assert value(registry, "soak_signals_total") == 5
            handle.write('ong": true}\n')
        await _until(lambda: value(registry, "soak_signals_strong_total") == 2, what="the completed line")
        assert value(registry, "soak_signals_confirmed_total") == 5
        assert value(registry, "soak_sink_signals_total", sink="jsonl", kind="total") == 6  # the sinks collector too
        manifest.write_text(json.dumps({"harvester_metrics": {"dropped": 4, "reconnect_count": 1}}))
        await _until(lambda: value(registry, "soak_harvester_queue_dropped_total") == 4, what="manifest figures")
        os.replace(_write(tmp_path / "next.tmp", {"harvester_metrics": {"dropped": 1, "reconnect_count": 0}}),
                   manifest)  # a new run's manifest starts again from 0: the totals never go back
        await _until(lambda: value(registry, "soak_harvester_stats_received_total") == 2, what="second manifest")
        assert value(registry, "soak_harvester_queue_dropped_total") == 5
        assert value(registry, "soak_harvester_reconnects_total") == 1
        assert _source_info(registry)["signals"] == "jsonl"
        assert _source_info(registry)["harvester"] == "manifest"


def _source_info(registry):
    """``{data: source}`` of soak_exporter_source_info."""
    return {dict(labels)["data"]: dict(labels)["source"] for (name, labels) in sample_values(registry)
            if name == "soak_exporter_source_info"}


def _write(path, document):
    path.write_text(json.dumps(document))
    return path


class _Status(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"state": "UP", "checks": []}')

    def log_message(self, *args) -> None:
        pass


@pytest.mark.timeout(40)
async def test_http_only_health_maps_a_real_endpoints_body():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/status"
    config = parse_config({"health": {"source": "http", "fields": {"status": "state"}, "values": {
        "status": {"UP": "healthy", "DOWN": "unhealthy"}}, "http": [{"process": "api", "url": url, "interval": 0.1}]}})
    try:
        async with _running(config) as registry:
            def healthy():
                return value(registry, "soak_health_checks_total", process="api", status="healthy") or 0

            await _until(lambda: healthy() >= 2, what="healthy checks from the mapped body")
            assert _source_info(registry)["health"] == "http"
            assert value(registry, "soak_health_checks_total", process="api", status="missing") == 0
    finally:
        server.shutdown()
        server.server_close()
