"""`soakwatch export` killed (SIGKILL) and restarted mid-run with a state file: the harvester totals equal
the true totals (no double count), no harvester or export total ever goes down, and a real Prometheus
scraping it sees no reset: increase() over the whole span is the true count."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import nats as nats_client
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from soakwatch import contract
from soakwatch.stack import free_port
from soakwatch.stack.servers import prometheus

CONFIG = "harvester: true\nexports: {backends: [prometheus]}\n"
DROPPED = ("soak_harvester_queue_dropped_total", ())
RECONNECTS = ("soak_harvester_reconnects_total", ())
RECEIVED = ("soak_harvester_stats_received_total", ())
EXPORTS = ("soak_timeseries_exports_total", (("backend", "prometheus"),))


class Run:
    """One exporter subprocess on a fixed port, every scrape kept for the monotonic check."""

    def __init__(self, tmp_path, nats_url, repo_root):
        self.cmd = [sys.executable, "-m", "soakwatch", "export", "--config", str(tmp_path / "soak.yaml"),
                    "--nats-url", nats_url, "--state-file", str(tmp_path / "state.json")]
        self.port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(repo_root / "src"), "SOAK_RUN_ID": "restart-test"}
        self.state = tmp_path / "state.json"
        self.proc: subprocess.Popen | None = None
        self.scrapes: list[dict] = []

    def start(self):
        self.proc = subprocess.Popen([*self.cmd, "--web.listen-address", f"127.0.0.1:{self.port}"], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def scrape(self) -> dict | None:
        assert self.proc is not None and self.proc.poll() is None, self.proc.stderr.read().decode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return None
        values = {(s.name, tuple(sorted(s.labels.items()))): s.value
                  for f in text_string_to_metric_families(text) for s in f.samples}
        self.scrapes.append(values)
        return values

    async def until(self, predicate, what, timeout=15.0):
        deadline = time.monotonic() + timeout
        while (values := self.scrape()) is None or not predicate(values):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.05)
        return values

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


async def _publish(nc, dropped, reconnects, exports):
    await nc.publish(contract.HARVESTER_STATS_SUBJECT, orjson.dumps(
        contract.harvester_stats(queue_dropped=dropped, reconnect_count=reconnects)))
    for _ in range(exports):
        await nc.publish(contract.REPORT_EXPORT_SUBJECT, orjson.dumps({"backend": "prometheus", "ok": True}))
    await nc.flush()


async def _subscribed(run, nc, dropped, reconnects):
    """Republish the current cumulative stats until the exporter has received one (it is subscribed)."""
    first = (await run.until(lambda v: RECEIVED in v, "metrics served"))[RECEIVED]
    deadline = time.monotonic() + 15
    while (run.scrape() or {}).get(RECEIVED, first) <= first:
        assert time.monotonic() < deadline, "exporter never subscribed"
        await _publish(nc, dropped, reconnects, 0)
        await asyncio.sleep(0.1)


def _saved(run, dropped, exports):
    try:
        parts = json.loads(run.state.read_text())["parts"]
    except (OSError, ValueError):
        return False
    return (parts["harvester"]["counters"]["queue_dropped"][1] == dropped
            and parts["exports"]["ok"].get("prometheus") == exports)


def _query(prom, expr, at=None):
    params = {"query": expr, **({"time": repr(at)} if at is not None else {})}
    with urllib.request.urlopen(f"{prom.url}/api/v1/query?{urllib.parse.urlencode(params)}", timeout=5) as r:
        result = json.loads(r.read())["data"]["result"]
    return [(float(item["value"][0]), float(item["value"][1])) for item in result]


async def _scraped(prom, expr, what, timeout=15.0):
    """Wait until Prometheus has a sample where ``expr`` holds (it scraped that value)."""
    deadline = time.monotonic() + timeout
    while not _query(prom, expr):
        assert time.monotonic() < deadline, f"prometheus never scraped {what}"
        await asyncio.sleep(0.1)


def _prometheus(tmp_path, port):
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global: {{scrape_interval: 500ms}}\nscrape_configs:\n  - job_name: soak_exporter\n"
                      f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
    return prometheus(tmp_path, config)


def _increases(prom):
    """increase() and resets() over the whole span, evaluated at the last sample (no extrapolation: the
    first sample is 0 and the range ends on the last one)."""
    out = {}
    for name in ("soak_harvester_queue_dropped_total", "soak_timeseries_exports_total"):
        with urllib.request.urlopen(f"{prom.url}/api/v1/query?{urllib.parse.urlencode({'query': name + '[10m]'})}",
                                    timeout=5) as response:
            values = json.loads(response.read())["data"]["result"][0]["values"]
        last = float(values[-1][0])
        out[name + ":first"] = float(values[0][1])
        ((_, out[name]),) = _query(prom, f"increase({name}[10m])", at=last)
        ((_, out[name + ":resets"]),) = _query(prom, f"resets({name}[10m])", at=last)
    return out


@pytest.mark.timeout(90)
async def test_sigkill_and_restart_keeps_true_totals_and_no_total_goes_down(nats, tmp_path, repo_root):
    (tmp_path / "soak.yaml").write_text(CONFIG)
    run = Run(tmp_path, nats.url, repo_root)
    nc = await nats_client.connect(nats.url)
    prom = _prometheus(tmp_path, run.port).start()
    try:
        run.start()
        await _subscribed(run, nc, 0, 0)
        await _scraped(prom, "soak_harvester_queue_dropped_total == 0", "the counters at 0")
        for i in range(1, 6):  # cumulative: 5 drops, 1 reconnect, 2 exports per step
            await _publish(nc, i, 1, 2)
        await run.until(lambda v: v[DROPPED] == 5 and v[EXPORTS] == 10, "first exporter's totals")
        await _scraped(prom, "soak_timeseries_exports_total == 10", "the first exporter's totals")
        deadline = time.monotonic() + 10
        while not _saved(run, 5, 10):
            assert time.monotonic() < deadline, "state file never written"
            await asyncio.sleep(0.05)
        run.kill()
        run.start()
        restored = await run.until(lambda v: True, "restarted exporter serving")
        assert restored[DROPPED] == 5 and restored[RECONNECTS] == 1 and restored[EXPORTS] == 10
        await _subscribed(run, nc, 5, 1)
        for i in range(6, 9):  # the same harvester goes on: 3 more drops, 3 more exports
            await _publish(nc, i, 1, 1)
        final = await run.until(lambda v: v[EXPORTS] == 13 and v[DROPPED] >= 8, "second exporter's totals")
        assert final[DROPPED] == 8 and final[RECONNECTS] == 1  # the true totals: nothing counted twice
        await _scraped(prom, "soak_timeseries_exports_total == 13", "the second exporter's totals")
        assert _increases(prom) == {
            "soak_harvester_queue_dropped_total": 8.0, "soak_harvester_queue_dropped_total:resets": 0.0,
            "soak_harvester_queue_dropped_total:first": 0.0, "soak_timeseries_exports_total": 13.0,
            "soak_timeseries_exports_total:resets": 0.0, "soak_timeseries_exports_total:first": 0.0}
    finally:
        await nc.close()
        run.kill()
        prom.stop()
    for key in (DROPPED, RECONNECTS, EXPORTS):
        series = [s[key] for s in run.scrapes if key in s]
        assert series == sorted(series), f"{key[0]} went down: {series}"
