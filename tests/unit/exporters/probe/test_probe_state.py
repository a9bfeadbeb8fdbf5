"""The probe's counting and windowing with fake clocks."""

from __future__ import annotations

import orjson
import pytest

from soakwatch.exporters.probe.metrics import ProbeCollector
from soakwatch.exporters.probe.state import Probe
from soakwatch.exporters.probe.ticks import TickReader
from soakwatch.testing.samples import value

BASE_NS = 1_700_000_000_000_000_000


class Clocks:
    def __init__(self) -> None:
        self.wall_ns = BASE_NS
        self.mono = 100.0

    def advance(self, seconds: float) -> None:
        self.wall_ns += int(seconds * 1e9)
        self.mono += seconds


@pytest.fixture
def clocks():
    return Clocks()


def _probe(clocks: Clocks, **reader) -> Probe:
    return Probe(TickReader(**reader), clock_ns=lambda: clocks.wall_ns, monotonic=lambda: clocks.mono)


def _tick(event_ns: int, seq: int | None = None) -> bytes:
    payload = {"ts_ns": event_ns}
    if seq is not None:
        payload["seq"] = seq
    return orjson.dumps(payload)


def test_latency_and_parse_gaps_are_counted_apart(clocks):
    probe = _probe(clocks)
    for latency_ms in (1, 2, 3, 4):
        probe.record(b"market.tick.A", _tick(clocks.wall_ns - latency_ms * 1_000_000), None)
    probe.record(b"market.tick.A", b"garbage", None)
    probe.record(b"market.tick.A", b'{"price": 1}', None)
    probe.record(b"market.tick.A", _tick(clocks.wall_ns - 10**18), None)  # years old: impossible
    probe.record(b"market.tick.A", _tick(clocks.wall_ns + 5_000_000), None)  # 5 ms in the future: skew
    clocks.advance(2.0)
    window = probe.roll_window().as_dict()
    assert window["total"] == window["messages"] == 8
    assert window["parse_gaps_by_reason"] == {"not_json": 1, "no_timestamp": 1, "bad_timestamp": 1,
                                              "bad_sequence": 0}
    assert window["parse_gaps"] == 3 and window["negative_latency"] == 1
    assert window["latency_ms"] == {"p50": 2.5, "p90": 3.7, "p99": 3.97, "mean": 2.5, "min": 1.0, "max": 4.0}
    assert window["mps_window"] == 4.0 and window["window_seconds"] == 2.0


def test_windows_count_only_their_own_events_and_the_summary_counts_all(clocks):
    probe = _probe(clocks)
    probe.record(b"s", _tick(clocks.wall_ns - 1_000_000), None)
    clocks.advance(1.0)
    first = probe.roll_window()
    probe.record(b"s", b"x", None)
    probe.count_dropped(3)
    clocks.advance(1.0)
    probe.record(b"s", _tick(clocks.wall_ns - 3_000_000), None)
    second = probe.roll_window().as_dict()
    assert first.as_dict()["messages"] == 1 and second["messages"] == 2 and second["total"] == 3
    assert second["parse_gaps"] == 1 and second["dropped"] == 3
    assert second["latency_ms"]["max"] == 3.0
    summary = probe.summary().as_dict()
    assert summary["event"] == "probe_summary" and summary["total"] == 3 and summary["dropped"] == 3
    assert summary["latency_ms"]["min"] == 1.0 and summary["latency_ms"]["max"] == 3.0
    assert summary["mps_window"] == pytest.approx(1.0)  # 3 messages over 2 s: 2 intervals


def test_sequence_gaps_per_subject(clocks):
    probe = _probe(clocks, seq_field="seq")
    for subject, seq in ((b"a", 1), (b"a", 2), (b"b", 10), (b"a", 5), (b"b", 11), (b"a", 5), (b"a", 6)):
        probe.record(subject, _tick(clocks.wall_ns - 1000, seq), None)
    assert probe.sequence_gaps == 2  # a: 3 and 4; the repeated 5 is ignored
    assert probe.sequence_resets == 0


def test_sequence_jump_back_or_far_ahead_is_a_reset_not_gaps(clocks):
    probe = _probe(clocks, seq_field="seq")
    for seq in (1, 2, 10**18, 10**18 + 2, 3, 1_000_003, 1_000_005 + 1_000_000):
        probe.record(b"a", _tick(clocks.wall_ns - 1000, seq), None)
    # gaps: 10**18+1 (1), then 4..1_000_002 (999_999); resets: to 10**18, back to 3, and the last jump
    assert probe.sequence_gaps == 1 + 999_999
    assert probe.sequence_resets == 3
    report = probe.summary().as_dict()
    assert report["sequence_resets"] == 3 and report["sequence_gaps"] == 1_000_000
    assert value(ProbeCollector(probe), "soak_nats_sequence_resets_total") == 3


def test_disconnected_time_and_reconnects(clocks):
    probe = _probe(clocks)
    probe.set_connected(True)
    clocks.advance(5)
    probe.set_connected(False)
    clocks.advance(2.5)
    assert probe.disconnected_seconds() == pytest.approx(2.5)
    probe.count_reconnect()
    clocks.advance(10)
    summary = probe.summary().as_dict()
    assert summary["reconnects"] == 1 and summary["disconnected_seconds"] == 2.5 and summary["connected"]
    probe.closing = True
    probe.set_connected(False)
    assert probe.connected and probe.disconnected_seconds() == pytest.approx(2.5)
