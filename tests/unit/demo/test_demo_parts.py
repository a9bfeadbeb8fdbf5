"""Demo parts without servers: progress lines, tick pacing and corruption, sink queues, manifest fields."""

from __future__ import annotations

import io
import time

import orjson

from soakwatch.demo.faults import parse_fault
from soakwatch.demo.manifest import RunInfo, build
from soakwatch.demo.observer import Observer
from soakwatch.demo.progress import Progress
from soakwatch.demo.sink import _Writer
from soakwatch.demo.supervisor import Supervisor
from soakwatch.demo.ticks import TickPublisher


class _Client:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict | None]] = []

    async def publish(self, subject, payload, headers=None):
        self.sent.append((subject, payload, headers))

    async def flush(self):
        pass


def test_progress_prints_periodic_lines_off_a_terminal():
    out = io.StringIO()
    progress = Progress(120, stream=out, tty=False, every=15)
    for second in range(0, 31):
        progress.update(float(second), second * 6000, ["kill:signal@20s"] if second >= 20 else [], 0)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("demo 00:00/02:00")
    assert lines[2] == "demo 00:30/02:00  ticks 6,000/s  restarts 0  faults applied: kill:signal@20s"


def test_progress_rewrites_one_line_on_a_terminal():
    out = io.StringIO()
    progress = Progress(60, stream=out, tty=True)
    progress.update(1.0, 10, [], 0)
    progress.update(2.0, 20, [], 1)
    progress.done()
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")
    assert "restarts 1" in out.getvalue()


async def test_ticks_change_rate_and_corrupt_a_share():
    client = _Client()
    publisher = TickPublisher(client, rate=1000, symbols=["A"])
    publisher.corrupt = 0.25
    started = time.monotonic()
    await publisher.run(count=200)
    publisher.set_rate(100.0)
    assert publisher.rate == 100.0
    bad = [p for _, p, h in client.sent if h is None]
    assert len(bad) == 50 and publisher.corrupted == 50
    assert all(not _is_json(p) for p in bad)
    assert all(_is_json(p) for _, p, h in client.sent if h is not None)
    assert time.monotonic() - started < 5


def _is_json(payload: bytes) -> bool:
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError:
        return False
    return True


def test_a_full_sink_queue_drops_and_a_slow_sink_writes_one_row_at_a_time():
    writer = _Writer("sqlite", limit=3)
    for i in range(5):
        writer.offer((float(i), "signal.A", 1, 0, "ok", None))
    assert len(writer.queue) == 3 and writer.dropped == 2
    writer.delay = 0.2
    assert len(writer.take()) == 1
    writer.delay = 0.0
    assert len(writer.take()) == 2


def test_manifest_has_the_orchestrator_fields(tmp_path):
    fault = parse_fault("kill:signal@50%", 120)
    info = RunInfo("r1", 1.0, 2.0, 6000.0, ["A"], "nats://127.0.0.1:4222", {"type": "prometheus"}, [fault])
    sup = Supervisor(lambda role: [], env={}, log_dir=tmp_path)
    sup.children["signal"].restart_count = 1
    sup.backoff_pattern = [1.0]
    sup.shutdown_order = ["report", "broker", "signal", "harvest"]
    obs = Observer()
    obs.harvester["queue_dropped"] = 3
    data = build(info, sup, obs)
    assert data["status"]["processes"]["signal"]["restart_count"] == 1
    assert data["restart_backoff_pattern"] == [1.0]
    assert data["harvester_metrics"] == {"queue_dropped": 3, "substream_timeout_detected": False,
                                         "substream_timeouts": 0, "reconnect_count": 0}
    assert data["shutdown_order_seen"] is True
    assert set(data["resource_usage"]) == {"max_rss_mb", "max_open_files", "per_process"}
    assert data["timeseries_export"] == {"backend": "prometheus", "export_count": 0, "error_count": 0}
    assert data["faults"][0]["start_s"] == 60.0 and data["faults"][0]["applied_at"] is None
