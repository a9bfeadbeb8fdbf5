"""The soak exporter against a real nats-server: heartbeats, stats, signals and exports published by
soakwatch.instrument become metrics; silence becomes `missing`; bad payloads are counted."""

from __future__ import annotations

import asyncio
import time

import nats as nats_client
import pytest
from prometheus_client import CollectorRegistry

from soakwatch.exporters.soak.config import parse_config
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.instrument import Instrument
from soakwatch.testing.samples import value


async def _until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _started(config, url):
    exporter = SoakExporter(config)
    registry = CollectorRegistry()
    exporter.register(registry)
    stop = asyncio.Event()
    task = asyncio.create_task(exporter.run(stop, {"servers": [url]}))
    await _until(lambda: exporter.nats.connected, what="exporter connected to NATS")
    return exporter, registry, stop, task


@pytest.mark.timeout(30)
async def test_instrument_messages_become_metrics(nats):
    config = parse_config({"health": {"interval": 0.2, "processes": ["signal", "harvest"]},
                           "harvester": True, "signals": True, "exports": True})
    _exporter, registry, stop, task = await _started(config, nats.url)
    nc = await nats_client.connect(nats.url)
    try:
        sig, harvest = Instrument(nc, "signal"), Instrument(nc, "harvest")
        for status in ("healthy", "healthy", "degraded"):
            await sig.heartbeat(status)
        await harvest.harvester_stats(queue_dropped=4, reconnect_count=2, queue_depth=7)
        await harvest.harvester_stats(queue_dropped=1, reconnect_count=0, queue_depth=3)  # harvester restarted
        for i in range(10):
            await sig.signal(subject=f"signal.S{i % 3}", confirm=i % 2 == 0, strong=i % 5 == 0,
                             consistency="low" if i < 3 else "ok", gating="spread" if i == 9 else None)
        await sig.export_event("prometheus", ok=True)
        await sig.export_event("prometheus", ok=False, error="connection refused")
        await nc.flush()
        await _until(lambda: value(registry, "soak_timeseries_export_errors_total", backend="prometheus") == 1,
                     what="export events")
        assert value(registry, "soak_health_checks_total", process="signal", status="healthy") == 2
        assert value(registry, "soak_health_checks_total", process="signal", status="degraded") == 1
        assert value(registry, "soak_harvester_queue_dropped_total") == 5
        assert value(registry, "soak_harvester_reconnects_total") == 2
        assert value(registry, "soak_harvester_queue_depth") == 3
        assert value(registry, "soak_signals_total") == 10
        assert value(registry, "soak_signals_confirmed_total") == 5
        assert value(registry, "soak_signals_strong_total") == 2
        assert value(registry, "soak_signals_low_consistency_total") == 3
        assert value(registry, "soak_signals_gated_total", reason="spread") == 1
        assert value(registry, "soak_timeseries_exports_total", backend="prometheus") == 1
        assert value(registry, "soak_timeseries_last_export_timestamp_seconds", backend="prometheus") > 0
        # harvest never sent a heartbeat: after 3 intervals (0.6 s) it counts as missing
        await _until(lambda: (value(registry, "soak_health_checks_total", process="harvest", status="missing")
                              or 0) >= 1, what="missing heartbeat")
        assert value(registry, "soak_process_healthy", process="harvest") == 0
    finally:
        await nc.close()
        stop.set()
        await task


@pytest.mark.timeout(30)
async def test_bad_payloads_are_counted_and_good_ones_still_count(nats):
    config = parse_config({"health": {"processes": ["signal"]}, "signals": True, "harvester": True})
    exporter, registry, stop, task = await _started(config, nats.url)
    nc = await nats_client.connect(nats.url)
    try:
        await nc.publish("signal.X", b'{"confirm": tr')
        await nc.publish("soak.health.signal", b'{"status": "sleepy"}')
        await nc.publish("soak.harvester.stats", b'{"queue_dropped": -3}')
        await Instrument(nc, "signal").signal(confirm=True, strong=True)
        await Instrument(nc, "signal").heartbeat("healthy")
        await nc.flush()
        await _until(lambda: value(registry, "soak_signals_total") == 1, what="the good signal")
        await _until(lambda: value(registry, "soak_health_checks_total", process="signal", status="healthy") == 1)
        errors = exporter.errors
        assert errors.get("signals", "bad_json") == 1
        assert errors.get("health", "unknown_status") == 1
        assert errors.get("harvester", "bad_value") == 1
        assert value(registry, "soak_exporter_errors_total", collector="signals", reason="bad_json") == 1
    finally:
        await nc.close()
        stop.set()
        await task
