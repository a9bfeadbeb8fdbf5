"""The instrument helper publishes exactly the contract's payloads on the contract's subjects."""

import orjson
import pytest

from soakwatch.instrument import Instrument


class _Recorder:
    def __init__(self):
        self.sent = []

    async def publish(self, subject, payload=b"", **kwargs):
        self.sent.append((subject, orjson.loads(payload)))


async def test_heartbeat_and_stats_payloads():
    nc = _Recorder()
    inst = Instrument(nc, process="signal", pid=42, clock=lambda: 1700000000.5)
    await inst.heartbeat("degraded")
    await inst.harvester_stats(queue_dropped=1, reconnect_count=2, queue_depth=7)
    assert nc.sent == [
        ("soak.health.signal", {"process": "signal", "status": "degraded", "pid": 42, "ts": 1700000000.5}),
        ("soak.harvester.stats",
         {"queue_dropped": 1, "substream_timeouts": 0, "reconnect_count": 2, "queue_depth": 7}),
    ]


async def test_signal_and_export_payloads():
    nc = _Recorder()
    inst = Instrument(nc, process="report", pid=1, clock=lambda: 5.0)
    await inst.signal(subject="signal.BTC", confirm=True, strong=False, consistency="low", gating="spread")
    await inst.export_event("influxdb", ok=False, error="timeout")
    assert nc.sent[0] == ("signal.BTC", {"confirm": True, "strong": False, "consistency": "low", "gating": "spread"})
    assert nc.sent[1] == ("soak.report.export", {"backend": "influxdb", "ok": False, "error": "timeout", "ts": 5.0})


async def test_bad_values_are_refused():
    inst = Instrument(_Recorder(), process="harvest")
    with pytest.raises(ValueError, match="status must be one of"):
        await inst.heartbeat("green")
    with pytest.raises(ValueError, match=r"signal subject must start with 'signal\.'"):
        await inst.signal(subject="sig.x", confirm=True, strong=True)
    with pytest.raises(ValueError, match="backend must be one of"):
        await inst.export_event("graphite")
