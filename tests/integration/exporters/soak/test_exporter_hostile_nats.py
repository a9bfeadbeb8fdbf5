"""Hostile payloads on a real nats-server are counted with their reason and change no figure; a harvester
that starts after the exporter with queue_dropped 2 in its first message shows as 0 -> 2."""

from __future__ import annotations

import asyncio

import nats as nats_client
import orjson
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.testing.wait import async_wait_for

HOSTILE = [
    ("soak.health.intruder", {"status": "healthy"}, ("health", "unknown_process")),
    ("soak.harvester.stats", {"queue_dropped": 1e300}, ("harvester", "bad_value")),
    ("soak.harvester.stats", {"queue_depth": 2**60}, ("harvester", "bad_value")),
    ("soak.report.export", {"backend": "prometheus", "ok": True, "ts": 1e18}, ("exports", "future_timestamp")),
    ("soak.report.export", {"backend": "prometheus", "ok": True, "ts": -1}, ("exports", "bad_timestamp")),
]


def _scrape(registry):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(generate_latest(registry).decode()) for s in f.samples}


def _figures(samples):
    """Every soak figure except the error counts and the count of stats messages received."""
    return {k: v for k, v in samples.items() if k[0].startswith("soak_")
            and k[0] not in ("soak_exporter_errors_total", "soak_harvester_stats_received_total")}


async def _until(predicate, what):
    await async_wait_for(predicate, message=what)


@pytest.mark.timeout(30)
async def test_hostile_payloads_are_counted_and_change_no_figure_then_a_late_harvester_counts_in_full(nats):
    config = parse_config({"health": {"processes": ["signal"]}, "harvester": True, "signals": True,
                           "exports": {"backends": ["prometheus"]}})
    exporter = SoakExporter(config)
    registry = CollectorRegistry()
    exporter.register(registry)
    stop = asyncio.Event()
    task = asyncio.create_task(exporter.run(stop, {"servers": [nats.url]}))
    nc = await nats_client.connect(nats.url)
    try:
        await _until(lambda: exporter.nats.connected, "exporter connected")
        before = _scrape(registry)
        assert before[("soak_harvester_queue_dropped_total", ())] == 0
        assert before[("soak_timeseries_exports_total", (("backend", "prometheus"),))] == 0
        assert before[("soak_health_checks_total", (("process", "signal"), ("status", "missing")))] == 0
        for _, _, (collector, reason) in HOSTILE:  # every reason at 0 before it happens
            assert before[("soak_exporter_errors_total", (("collector", collector), ("reason", reason)))] == 0
        for subject, body, _ in HOSTILE:
            await nc.publish(subject, orjson.dumps(body))
        await nc.flush()
        for _, _, (collector, reason) in HOSTILE:
            await _until(lambda c=collector, r=reason: exporter.errors.get(c, r) >= 1, f"{collector}/{reason}")
        after = _scrape(registry)
        assert _figures(after) == _figures(before)
        assert after[("soak_exporter_errors_total", (("collector", "harvester"), ("reason", "bad_value")))] == 2
        assert not any(k[0] == "soak_health_checks_total" and ("process", "intruder") in k[1] for k in after)
        await nc.publish("soak.harvester.stats", orjson.dumps({"queue_dropped": 2, "queue_depth": 1}))
        await nc.flush()
        await _until(lambda: _scrape(registry)[("soak_harvester_queue_dropped_total", ())] == 2, "first stats")
    finally:
        await nc.close()
        stop.set()
        await task
