"""Field and value mapping: applied to payloads, validated with `invalid config:` errors naming the field."""

import pytest

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.fieldmap import FieldMap, parse_fieldmap


def test_fields_are_renamed_and_values_translated():
    mapping = parse_fieldmap("health", {"status": "state", "process": "service"},
                             {"status": {"ok": "healthy", "warn": "degraded", 0: "unhealthy"}}, "health")
    assert mapping.apply({"state": "ok", "service": "ingest", "ts": 1}) == {
        "status": "healthy", "process": "ingest", "ts": 1, "state": "ok", "service": "ingest"}
    assert mapping.apply({"state": 0})["status"] == "unhealthy"
    assert mapping.apply({"state": False})["status"] is False  # a bool is not the table's 0
    assert mapping.apply({"state": "gone"})["status"] == "gone"  # an unknown value stays as it is


def test_a_mapped_field_missing_from_the_payload_is_missing_not_the_contract_name():
    mapping = parse_fieldmap("harvester", {"queue_dropped": "dropped"}, None, "harvester")
    assert "queue_dropped" not in mapping.apply({"queue_dropped": 5})
    assert mapping.apply({"dropped": 2, "reconnect_count": 1}) == {"dropped": 2, "queue_dropped": 2,
                                                                   "reconnect_count": 1}


def test_no_mapping_leaves_the_payload_itself():
    body = {"status": "healthy"}
    assert not FieldMap() and FieldMap().apply(body) is body


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, None, 1.5])
def test_values_that_are_not_table_keys_pass_through(value):
    mapping = parse_fieldmap("signals", None, {"consistency": {"good": "ok", "bad": "low"}}, "signals")
    assert mapping.apply({"consistency": value})["consistency"] == value


@pytest.mark.parametrize(("fields", "values", "message"), [
    ({"stat": "state"}, None, r"health.fields.stat is not a contract field \(known: status, process, pid, ts\)"),
    ({"status": ""}, None, r"health.fields.status must be a non-empty field name"),
    ({"status": 3}, None, r"health.fields.status must be a non-empty field name, got 3"),
    (["status"], None, r"health.fields must be a mapping of contract field"),
    (None, {"state": {"ok": "healthy"}}, r"health.values.state is not a contract field"),
    (None, {"status": {"ok": "fine"}}, r"health.values.status.ok must be one of healthy, degraded, unhealthy"),
    (None, {"status": {}}, r"health.values.status must be a non-empty mapping"),
    (None, {"status": {"ok": ["healthy"]}}, r"health.values.status.ok must map a scalar to a scalar"),
])
def test_bad_mappings_name_the_field(fields, values, message):
    with pytest.raises(ConfigError, match=rf"^invalid config: {message}"):
        parse_fieldmap("health", fields, values, "health")


def test_boolean_contract_fields_take_only_booleans():
    with pytest.raises(ConfigError, match=r"signals.values.strong.yes must be one of True, False, got 'true'"):
        parse_fieldmap("signals", None, {"strong": {"yes": "true"}}, "signals")
    assert parse_fieldmap("signals", None, {"strong": {"yes": True}}, "signals").apply({"strong": "yes"}) == {
        "strong": True}
