"""Inference on payloads: event-time field and unit, sequence field, contract and near shapes, value maps."""

from __future__ import annotations

import pytest

from soakwatch.init.shapes import recognise, sequence_field, time_field, value_mapping

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("sample", "expected"), [
    ({"sym": "A", "px": 101.5, "t_ms": int(NOW * 1000), "n": 7}, ("t_ms", "ms", "name")),
    ({"sym": "A", "px": 101.5, "E": int(NOW * 1000)}, ("E", "ms", "name")),
    ({"price": 3.0, "ts": NOW - 0.2}, ("ts", "s", "magnitude")),
    ({"price": 3.0, "when": int(NOW * 1e9)}, ("when", "ns", "magnitude")),
    ({"px": 1.0, "event_us": int(NOW * 1e6), "qty": 5}, ("event_us", "us", "name")),
    # a name that states a unit its values contradict: the magnitude wins
    ({"px": 1.0, "t_ms": NOW}, ("t_ms", "s", "magnitude")),
])
def test_time_field_and_unit(sample: dict, expected: tuple) -> None:
    found = time_field([sample], NOW)
    assert found is not None and (found.name, found.unit, found.by) == expected


def test_time_field_prefers_a_time_name_over_a_number_that_happens_to_fit() -> None:
    sample = {"order_id": int(NOW * 1000) - 5, "t_ms": int(NOW * 1000)}
    assert time_field([sample], NOW).name == "t_ms"  # type: ignore[union-attr]


def test_no_time_field_when_nothing_is_near_now() -> None:
    assert time_field([{"px": 101.5, "qty": 3, "t_ms": 12345}], NOW) is None
    assert time_field([{"flag": True, "name": "x"}], NOW) is None


def test_sequence_field_rises_by_one_per_subject() -> None:
    by_subject = {"a.x": [{"n": i, "qty": q} for i, q in zip(range(1, 6), (3, 1, 4, 1, 5), strict=True)],
                  "a.y": [{"n": i, "qty": 2} for i in range(40, 44)]}
    assert sequence_field(by_subject) == "n"


def test_sequence_tolerates_a_lost_message_but_not_a_step_back() -> None:
    assert sequence_field({"s": [{"seq": v} for v in (1, 2, 3, 5, 6, 7)]}) == "seq"
    assert sequence_field({"s": [{"seq": v} for v in (1, 2, 3, 2, 3, 4)]}) is None
    assert sequence_field({"s": [{"seq": v} for v in (10, 20, 30, 40)]}) is None  # a counter, not a sequence


def test_sequence_field_excludes_the_time_field() -> None:
    rows = [{"t": 1000 + i} for i in range(5)]
    assert sequence_field({"s": rows}, exclude=["t"]) is None


def test_contract_heartbeat_is_exact() -> None:
    shape = recognise([{"process": "signal", "status": "healthy", "pid": 1, "ts": NOW}])
    assert shape is not None and shape.kind == "health" and shape.exact


def test_health_as_state_ok_maps_field_and_values() -> None:
    shape = recognise([{"state": "ok"}])
    assert shape is not None and shape.kind == "health"
    assert shape.fields == {"status": "state"}
    assert shape.values["status"]["ok"] == "healthy" and shape.values["status"]["down"] == "unhealthy"


def test_near_shape_signals() -> None:
    shape = recognise([{"sym": "A", "confirmed": True, "is_strong": False, "quality": "good", "gate": None},
                       {"sym": "B", "confirmed": False, "is_strong": True, "quality": "bad", "gate": "spread"}])
    assert shape is not None and shape.kind == "signals"
    assert shape.fields == {"confirm": "confirmed", "strong": "is_strong", "consistency": "quality",
                            "gating": "gate"}
    assert shape.values == {"consistency": {"good": "ok", "high": "ok", "normal": "ok", "bad": "low", "poor": "low",
                                            "weak": "low"}}


def test_near_shape_harvester_and_exports() -> None:
    harvester = recognise([{"dropped": 0, "timeouts": 0, "reconnects": 1, "backlog": 4}])
    assert harvester is not None and harvester.kind == "harvester"
    assert harvester.fields == {"queue_dropped": "dropped", "substream_timeouts": "timeouts",
                                "reconnect_count": "reconnects", "queue_depth": "backlog"}
    exports = recognise([{"target": "prometheus", "success": True, "err": None}])
    assert exports is not None and exports.kind == "exports"
    assert exports.fields == {"backend": "target", "ok": "success", "error": "err"}


def test_ticks_and_unrelated_payloads_are_no_contract_shape() -> None:
    assert recognise([{"sym": "A", "px": 1.0, "t_ms": int(NOW * 1000), "n": 1}]) is None
    assert recognise([{"state": "running-batch-7"}]) is None  # a state, but not a health word
    assert recognise([{"dropped": -1, "timeouts": "x"}]) is None


def test_value_mapping_empty_when_the_pipeline_speaks_the_contract() -> None:
    assert value_mapping("status", ["healthy", "degraded"]) == {}
    assert value_mapping("consistency", ["good"])["bad"] == "low"
