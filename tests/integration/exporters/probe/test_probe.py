"""The probe against a real nats-server: exact counts, accurate rate and latency, drops and reconnects."""

from __future__ import annotations

import asyncio
import random

import numpy as np
import pytest
from nats import connect as nats_connect
from nats.aio.client import Client

from soakwatch.demo.ticks import TickPublisher
from soakwatch.exporters.probe.nats import close, connect, subscribe
from soakwatch.exporters.probe.state import Probe
from soakwatch.exporters.probe.ticks import TickReader
from soakwatch.stack import nats_server
from soakwatch.testing import async_wait_for

pytestmark = pytest.mark.timeout(120)


def _within(measured: float, exact: float, rel: float = 0.02, absolute: float = 0.0002) -> bool:
    return abs(measured - exact) <= max(rel * abs(exact), absolute)


async def _probe(url: str, **kwargs) -> tuple[Probe, Client]:
    probe = Probe(TickReader(seq_field=kwargs.pop("seq_field", None)))
    client = await connect(probe, {"servers": [url]})
    await subscribe(client, probe, ["market.tick.>"], **kwargs)
    return probe, client


async def test_counts_rate_and_latency_match_what_was_published(nats):
    count, rate = 6_000, 2_000.0
    offsets_ms = np.random.default_rng(7).uniform(5.0, 50.0, count)  # the known latency distribution
    probe, client = await _probe(nats.url, seq_field="seq")
    publisher_client = await nats_connect(nats.url)
    garbage = {b"{not json": 37, b'{"price": 1.5}': 23, b'{"ts_ns": -1}': 11}
    try:
        publisher = TickPublisher(publisher_client, rate, event_offset_ns=lambda i: int(offsets_ms[i] * 1e6))
        sent = await publisher.run(count=count)
        for payload, times in garbage.items():
            for _ in range(times):
                await publisher_client.publish("market.tick.JUNK", payload)
        await publisher_client.flush()
        expected = count + sum(garbage.values())
        await async_wait_for(lambda: probe.messages >= expected, 10, message="all ticks")
    finally:
        await publisher_client.close()
        await close(client, probe)
    summary = probe.summary().as_dict()
    assert summary["total"] == expected and sent.sent == count
    assert summary["parse_gaps_by_reason"] == {"not_json": 37, "no_timestamp": 23, "bad_timestamp": 11,
                                               "bad_sequence": 0}
    assert summary["sequence_gaps"] == 0 and summary["dropped"] == 0 and summary["negative_latency"] == 0
    assert _within(probe.mean_rate(), rate), probe.mean_rate()
    exact = np.quantile(offsets_ms, [0.5, 0.99])
    assert _within(summary["latency_ms"]["p50"], exact[0], absolute=0.2), (summary["latency_ms"], exact)
    assert _within(summary["latency_ms"]["p99"], exact[1], absolute=0.2), (summary["latency_ms"], exact)


async def test_queue_group_probes_split_the_stream_and_sum_to_the_total(nats):
    probes = [await _probe(nats.url, queue="probes") for _ in range(2)]
    publisher_client = await nats_connect(nats.url)
    try:
        await TickPublisher(publisher_client, 5_000).run(count=4_000)
        await async_wait_for(lambda: sum(p.messages for p, _ in probes) >= 4_000, 10, message="ticks")
        await asyncio.sleep(0.2)
    finally:
        await publisher_client.close()
        for probe, client in probes:
            await close(client, probe)
            probe.fold()
    counts = [probe.messages for probe, _ in probes]
    assert sum(counts) == 4_000 and min(counts) > 0
    assert sum(probe.run.count for probe, _ in probes) == 4_000


async def test_a_slow_consumer_drop_is_counted_never_silent(nats):
    probe, client = await _probe(nats.url, fast_path=False, pending_msgs_limit=20)
    publisher_client = await nats_connect(nats.url)
    burst = 20_000
    try:
        payload = b'{"ts_ns": %d}' % 1
        for _ in range(burst):
            await publisher_client.publish("market.tick.X", payload)
        await publisher_client.flush()
        await async_wait_for(lambda: probe.messages + probe.dropped >= burst, 15, message="burst accounted")
    finally:
        await publisher_client.close()
        await close(client, probe)
    assert probe.dropped > 0
    assert probe.messages + probe.dropped == burst
    assert probe.roll_window().as_dict()["dropped"] == probe.dropped


async def test_reconnects_after_a_server_restart_and_goes_on(tmp_path):
    server = nats_server(tmp_path / "nats").start()
    try:
        probe, client = await _probe(server.url)
        publisher_client = await nats_connect(server.url, reconnect_time_wait=0.2, max_reconnect_attempts=-1)
        await TickPublisher(publisher_client, 2_000).run(count=500)
        await async_wait_for(lambda: probe.messages >= 500, 10, message="first ticks")
        server.stop()
        await async_wait_for(lambda: not probe.connected, 10, message="the disconnect")
        await asyncio.sleep(1.0)
        server.start()
        await async_wait_for(lambda: probe.reconnects == 1, 15, message="the reconnect")
        await async_wait_for(lambda: publisher_client.is_connected, 15, message="publisher reconnect")
        await asyncio.sleep(random.uniform(0.1, 0.2))
        await TickPublisher(publisher_client, 2_000).run(count=500)
        await async_wait_for(lambda: probe.messages >= 1_000, 10, message="ticks after the restart")
        await publisher_client.close()
        await close(client, probe)
    finally:
        server.stop()
    summary = probe.summary().as_dict()
    assert summary["reconnects"] == 1 and summary["connected"]
    assert summary["total"] == 1_000
    assert summary["disconnected_seconds"] >= 0.9
