"""End to end with the real servers: publisher -> Prometheus -> Alertmanager -> soakwatch alert-log.

A prometheus_client publisher counts signals; Prometheus scrapes it every
second and evaluates the repository's rules every second; Alertmanager routes
with the repository's config (group_interval shortened so the resolved
notification comes within seconds); `soakwatch alert-log` runs as its own
process. Stopping the signals must bring the SoakSignalsStalled notification
after two empty minutes (not before), resuming them the resolved one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alerting_configs import ROOT, render_alertmanager, render_prometheus
from prometheus_client import CollectorRegistry, Counter, start_http_server

from soakwatch.stack import Server, alertmanager, free_port, prometheus
from soakwatch.stack.servers import http_ok

STALL_SECONDS = 120  # two consecutive minutes without a signal


class SignalPublisher:
    """soak_signals_total on a free port, counting while ``flowing`` is set; remembers its last count."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.signals = Counter("soak_signals", "Signals seen.", registry=self.registry)
        self.port = free_port()
        self.flowing = threading.Event()
        self.last_count_at = 0.0
        self._stop = threading.Event()
        self._server, _ = start_http_server(self.port, addr="127.0.0.1", registry=self.registry)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            if self.flowing.is_set():
                self.signals.inc()
                self.last_count_at = time.time()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.shutdown()


@pytest.fixture
def publisher() -> Iterator[SignalPublisher]:
    pub = SignalPublisher()
    try:
        yield pub
    finally:
        pub.close()


@pytest.fixture
def alert_log_process(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`soakwatch alert-log` as a real process on a free port."""
    port, out = free_port(), tmp_path / "alerts.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    log = open(tmp_path / "alert-log.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "soakwatch", "alert-log", "--listen", f"127.0.0.1:{port}", "--out", str(out)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    try:
        _wait(lambda: http_ok(f"http://127.0.0.1:{port}/-/ready"), 20, "alert-log ready")
        yield f"http://127.0.0.1:{port}/alerts", out, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        log.close()


def _wait(predicate, timeout: float, what: str, servers: tuple[Server, ...] = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    logs = "\n".join(server.log_tail() for server in servers)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")


def _query(prom: Server, expr: str) -> list[dict]:
    url = f"{prom.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())["data"]["result"]


def _notification(out: Path, alertname: str, status: str) -> dict | None:
    if not out.exists():
        return None
    for line in out.read_text().splitlines():
        record = json.loads(line)
        if record["alertname"] == alertname and record["status"] == status:
            return record
    return None


def _epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_signals_stalled_fires_after_two_minutes_and_resolves(tmp_path, publisher, alert_log_process,
                                                               record_property):
    webhook, out, alert_log_proc = alert_log_process
    am_port = free_port()
    am_config = render_alertmanager(tmp_path, webhook, group_interval="1s")
    prom_config = render_prometheus(tmp_path, {"soak_exporter": f"127.0.0.1:{publisher.port}"},
                                    f"127.0.0.1:{am_port}", interval="1s")
    publisher.flowing.set()
    with alertmanager(tmp_path, am_config, port=am_port) as am, \
            prometheus(tmp_path, prom_config, extra_args=["--rules.alert.resend-delay=1s"]) as prom:
        servers = (prom, am)
        _wait(lambda: _query(prom, "job:soak_signals:increase1m > 0"), 30, "signals counted by the rules", servers)

        publisher.flowing.clear()
        time.sleep(0.3)
        stopped = publisher.last_count_at
        firing = _wait(lambda: _notification(out, "SoakSignalsStalled", "firing"), STALL_SECONDS + 60,
                       "the SoakSignalsStalled notification", servers)
        firing_at = _epoch(firing["receivedAt"])
        rule_alerts = _query(prom, 'ALERTS{alertname="SoakSignalsStalled", alertstate="firing"}')

        publisher.flowing.set()
        _wait(lambda: publisher.last_count_at > stopped, 5, "signals to resume")
        resumed = publisher.last_count_at
        resolved = _wait(lambda: _notification(out, "SoakSignalsStalled", "resolved"), 60,
                         "the resolved notification", servers)
        resolved_at = _epoch(resolved["receivedAt"])

    condition_true = stopped + STALL_SECONDS
    fired_at = _epoch(firing["startsAt"])  # when Prometheus moved the alert to firing
    latency, resolve_latency = firing_at - condition_true, resolved_at - resumed
    record_property("stall_notification_latency_seconds", round(latency, 2))
    record_property("stall_rule_latency_seconds", round(fired_at - condition_true, 2))
    record_property("resolve_notification_latency_seconds", round(resolve_latency, 2))
    print(f"\nSoakSignalsStalled: notified {firing_at - stopped:.1f} s after the last signal, "
          f"{latency:.1f} s after the two-minute condition became true (Prometheus fired it "
          f"{fired_at - condition_true:.1f} s after; Alertmanager group_wait and delivery "
          f"{firing_at - fired_at:.1f} s); resolved notification {resolve_latency:.1f} s after signals resumed")

    assert rule_alerts, "Prometheus did not show the alert firing when the notification arrived"
    # Never before two empty minutes (one scrape of slack: the last count may land just before a scrape) ...
    assert fired_at - stopped >= STALL_SECONDS - 1
    # ... and soon after: 1 s scrape + 1 s evaluation + the critical route's group_wait (10 s) + delivery.
    assert latency <= 20
    assert resolve_latency <= 15
    assert firing["severity"] == "critical" and firing["receiver"] == "critical"
    assert firing["annotations"]["runbook_url"] == "http://127.0.0.1:9096/runbooks/SoakSignalsStalled.md"
    assert resolved["startsAt"] == firing["startsAt"]
    assert fired_at < _epoch(resolved["endsAt"]) <= resolved_at
    names = {json.loads(line)["alertname"] for line in out.read_text().splitlines()}
    assert names == {"SoakSignalsStalled"}
    alert_log_proc.send_signal(signal.SIGTERM)
    assert alert_log_proc.wait(10) == 0
