"""Event time and sequence extraction from tick payloads and headers."""

from __future__ import annotations

import orjson
import pytest

from soakwatch.exporters.probe.ticks import (
    BAD_SEQUENCE,
    BAD_TIMESTAMP,
    NO_TIMESTAMP,
    NOT_JSON,
    ParseGap,
    TickReader,
    header_ts_ns,
    unit_by_magnitude,
    unit_for_field,
)

NS = 1_700_000_000_123_456_789


def test_header_wins_over_the_json_field():
    data = orjson.dumps({"ts_ms": 1})
    assert TickReader().read(data, b"NATS/1.0\r\nSoak-Ts: %d\r\n\r\n" % NS) == (NS, None)
    assert TickReader().read(data, {"Soak-Ts": str(NS)}) == (NS, None)


def test_header_block_without_the_key_falls_back_to_the_field():
    assert header_ts_ns(b"NATS/1.0\r\nOther: 1\r\n\r\n") is None
    assert TickReader().read(orjson.dumps({"ts_ns": NS}), b"NATS/1.0\r\nOther: 1\r\n\r\n") == (NS, None)


@pytest.mark.parametrize(("payload", "expected"), [
    ({"ts_ns": NS}, NS),
    ({"ts_ms": 1_700_000_000_123}, 1_700_000_000_123_000_000),
    ({"E": 1_700_000_000_123}, 1_700_000_000_123_000_000),
    ({"ts": 1_700_000_000.5}, 1_700_000_000_500_000_000),
    ({"ts": 1_700_000_000_123_456}, 1_700_000_000_123_456_000),
    ({"ts": "1700000000123"}, 1_700_000_000_123_000_000),
])
def test_json_field_units(payload, expected):
    assert TickReader().read(orjson.dumps(payload), None)[0] == expected


def test_explicit_unit_and_field():
    reader = TickReader(ts_fields=("event_time",), ts_unit="us")
    assert reader.read(b'{"event_time": 1700000000000000}', None)[0] == 1_700_000_000_000_000_000


@pytest.mark.parametrize(("data", "headers", "reason"), [
    (b"not json", None, NOT_JSON),
    (b"[1, 2]", None, NOT_JSON),
    (b"", None, NOT_JSON),
    (b'{"price": 1}', None, NO_TIMESTAMP),
    (b'{"ts_ns": -5}', None, BAD_TIMESTAMP),
    (b'{"ts_ns": true}', None, BAD_TIMESTAMP),
    (b'{"ts_ns": "soon"}', None, BAD_TIMESTAMP),
    (b'{"ts": 1e400}', None, NOT_JSON),
    (b'{"ts_ns": 1}', b"NATS/1.0\r\nSoak-Ts: abc\r\n\r\n", BAD_TIMESTAMP),
])
def test_parse_gaps_by_reason(data, headers, reason):
    with pytest.raises(ParseGap) as caught:
        TickReader().read(data, headers)
    assert caught.value.reason == reason


def test_sequence_field():
    reader = TickReader(seq_field="seq")
    assert reader.read(b'{"ts_ns": 5, "seq": 7}', None) == (5, 7)
    with pytest.raises(ParseGap) as caught:
        reader.read(b'{"ts_ns": 5, "seq": "x"}', None)
    assert caught.value.reason == BAD_SEQUENCE


def test_unit_helpers():
    assert unit_for_field("ts_ms") == "ms"
    assert unit_for_field("ts") is None
    assert unit_for_field("T") == "ms"
    assert [unit_by_magnitude(v) for v in (1.7e9, 1.7e12, 1.7e15, 1.7e18)] == ["s", "ms", "us", "ns"]
