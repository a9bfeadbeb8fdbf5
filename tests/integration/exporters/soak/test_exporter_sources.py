"""Sources that come and go: a NATS server that starts after the exporter, and a real HTTP health
endpoint that answers, fails and disappears."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nats as nats_client
import pytest
from prometheus_client import CollectorRegistry

from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.instrument import Instrument
from soakwatch.stack import free_port, nats_server
from soakwatch.testing.samples import value


async def _until(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def _start(config_data):
    exporter = SoakExporter(parse_config(config_data))
    registry = CollectorRegistry()
    exporter.register(registry)
    return exporter, registry, asyncio.Event()


@pytest.mark.timeout(40)
async def test_nats_server_started_after_the_exporter(tmp_path):
    port = free_port()
    exporter, registry, stop = _start({"signals": True})
    task = asyncio.create_task(exporter.run(stop, {"servers": [f"nats://127.0.0.1:{port}"]}))
    try:
        await _until(lambda: any(c == "nats" for c, _ in exporter.errors.snapshot()), what="a counted failure")
        with nats_server(tmp_path / "nats", port=port) as server:
            await _until(lambda: exporter.nats.connected, what="late connection")
            nc = await nats_client.connect(server.url)
            await Instrument(nc, "signal").signal(confirm=False, strong=False)
            await nc.close()
            await _until(lambda: value(registry, "soak_signals_total") == 1, what="a signal after connecting")
        started = time.monotonic()  # the server is gone again: stopping must not wait for it
        stop.set()
        await task
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        await task


class _Health(BaseHTTPRequestHandler):
    answer: tuple[int, bytes] = (200, b'{"status": "healthy"}')

    def do_GET(self) -> None:
        code, body = type(self).answer
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.timeout(40)
async def test_http_health_endpoint_statuses():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    exporter, registry, stop = _start({"health": {"processes": [], "http": [
        {"process": "broker", "url": url, "interval": 0.1, "timeout": 0.5}]}})
    task = asyncio.create_task(exporter.run(stop, None))

    def checks(status):
        return value(registry, "soak_health_checks_total", process="broker", status=status) or 0

    try:
        await _until(lambda: checks("healthy") >= 2, what="healthy checks")
        assert value(registry, "soak_process_healthy", process="broker") == 1
        _Health.answer = (503, json.dumps({"status": "healthy"}).encode())
        await _until(lambda: checks("unhealthy") >= 1, what="a 503")
        assert value(registry, "soak_process_healthy", process="broker") == 0
        server.shutdown()
        server.server_close()
        await _until(lambda: checks("missing") >= 1, what="no answer")
    finally:
        stop.set()
        await task
