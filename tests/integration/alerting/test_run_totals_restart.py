"""A real Prometheus with the repository's rules: run-total alerts survive an exporter restart.

A prometheus_client stand-in for the soak exporter serves the harvester's
queue_dropped total and an export-error total, both first scraped at 2 (born
non-zero). It is then stopped (Prometheus records up == 0 and marks the series
stale) and started again from 0 on the same port, as after a restart that lost
its totals. The alerts must fire on the first scrape and stay the same firing
alerts (same activeAt, no gap) through and after the restart.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from alerting_configs import render_prometheus
from prometheus_client import CollectorRegistry, Counter, start_http_server

from soakwatch.stack import Server, free_port, prometheus
from soakwatch.testing.wait import wait_for

ALERTS = ("SoakHarvesterQueueDropped", "SoakTimeseriesExportErrors")


class StandInExporter:
    """The two run totals on a fixed port; ``restart()`` serves fresh counters at 0."""

    def __init__(self, port: int, dropped: int) -> None:
        self.port = port
        self._server = None
        self.start(dropped)

    def start(self, dropped: int) -> None:
        registry = CollectorRegistry()
        Counter("soak_harvester_queue_dropped", "Dropped.", registry=registry).inc(dropped)
        errors = Counter("soak_timeseries_export_errors", "Export errors.", ["backend"], registry=registry)
        errors.labels("influxdb").inc(dropped)
        self._server, _ = start_http_server(self.port, addr="127.0.0.1", registry=registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def exporter() -> Iterator[StandInExporter]:
    stand_in = StandInExporter(free_port(), dropped=2)
    try:
        yield stand_in
    finally:
        stand_in.stop()


def _query(prom: Server, expr: str) -> list[dict]:
    url = f"{prom.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())["data"]["result"]


def _firing(prom: Server) -> dict[str, str]:
    """alertname -> activeAt of the firing run-total alerts."""
    with urllib.request.urlopen(f"{prom.url}/api/v1/alerts", timeout=5) as response:
        alerts = json.loads(response.read())["data"]["alerts"]
    return {a["labels"]["alertname"]: a["activeAt"] for a in alerts
            if a["state"] == "firing" and a["labels"]["alertname"] in ALERTS}


def _wait(predicate, timeout: float, what: str, prom: Server):
    try:
        return wait_for(predicate, timeout, 0.2, what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{prom.log_tail()}") from exc


def _watch(prom: Server, seconds: float, expected: dict[str, str]) -> None:
    """Every 0.2 s for ``seconds``: both alerts firing, with the activeAt they had before."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert _firing(prom) == expected
        time.sleep(0.2)


@pytest.mark.timeout(120)
def test_run_total_alerts_stay_firing_across_an_exporter_restart(tmp_path, exporter):
    config = render_prometheus(tmp_path, {"soak_exporter": f"127.0.0.1:{exporter.port}"},
                               f"127.0.0.1:{free_port()}", interval="1s")
    with prometheus(tmp_path, config) as prom:
        before = _wait(lambda: len(_firing(prom)) == len(ALERTS) and _firing(prom), 30,
                       "both alerts firing on totals first scraped at 2", prom)

        exporter.stop()
        _wait(lambda: _query(prom, 'up{job="soak_exporter"} == 0'), 15, "the failed scrape", prom)
        _watch(prom, 2.5, before)
        exporter.start(dropped=0)
        _wait(lambda: _query(prom, 'up{job="soak_exporter"} == 1 and soak_harvester_queue_dropped_total == 0'),
              15, "the restarted exporter's totals at 0", prom)
        _watch(prom, 5, before)
        assert _query(prom, "soak_harvester_queue_dropped_total")[0]["value"][1] == "0"
