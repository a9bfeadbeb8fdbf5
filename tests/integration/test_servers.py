"""Every real server of the stack starts on a free loopback port, answers, and stops cleanly."""

from __future__ import annotations

import json
import urllib.request

import pytest

from soakwatch.stack import servers


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def test_nats_server_answers_varz(nats):
    varz = json.loads(_get(f"http://127.0.0.1:{nats.ports['monitor']}/varz"))
    assert varz["port"] == nats.ports["client"]
    assert varz["jetstream"]["config"]["store_dir"]


def test_prometheus_alertmanager_pushgateway_victoria(tmp_path):
    prom_cfg = tmp_path / "prometheus.yml"
    prom_cfg.write_text("global:\n  scrape_interval: 1s\n")
    am_cfg = tmp_path / "alertmanager.yml"
    am_cfg.write_text("route:\n  receiver: none\nreceivers:\n  - name: none\n")
    started = [
        servers.prometheus(tmp_path, prom_cfg),
        servers.alertmanager(tmp_path, am_cfg),
        servers.pushgateway(tmp_path),
        servers.victoria_metrics(tmp_path),
    ]
    try:
        for server in started:
            server.start()
            assert server.running()
        assert json.loads(_get(f"{started[0].url}/api/v1/status/buildinfo"))["status"] == "success"
    finally:
        for server in started:
            server.stop()
    assert not any(server.running() for server in started)


def test_start_failure_reports_the_servers_own_log(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("scrape_configs: [this is not valid\n")
    server = servers.prometheus(tmp_path, bad)
    with pytest.raises(servers.ServerStartError, match=r"prometheus exited.*\n.*prometheus\|"):
        server.start(timeout=10)


def test_missing_binary_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(servers, "_EXTRA_PATHS", ())
    monkeypatch.setenv("PATH", "/nonexistent")
    expected = "apt-get install --no-install-recommends prometheus-alertmanager"
    with pytest.raises(servers.MissingBinaryError, match=expected):
        servers.find_binary("amtool")


def test_port_in_use_is_detected():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert not servers.port_is_free(sock.getsockname()[1])
    assert servers.port_is_free(servers.free_port())
