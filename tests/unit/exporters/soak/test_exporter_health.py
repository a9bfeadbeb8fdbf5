"""Heartbeats as health checks, `missing` after silence (fake clock), and HTTP health endpoints."""

import logging

import orjson

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.config import HealthConfig, HttpHealthConfig
from soakwatch.exporters.soak.health import HealthCollector
from soakwatch.exporters.soak.health_http import HttpHealthPoller
from soakwatch.testing.samples import value


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _hb(status, process="signal"):
    return orjson.dumps({"process": process, "status": status, "pid": 1, "ts": 1.0})


def _health(processes=("signal",)):
    clock, errors = Clock(), ErrorCounter()
    return HealthCollector(HealthConfig(processes=processes, interval=10.0), errors, clock), clock, errors


def test_heartbeats_count_by_status_and_set_healthy():
    col, _, _ = _health()
    col.handle("soak.health.signal", _hb("healthy"))
    col.handle("soak.health.signal", _hb("healthy"))
    assert value(col, "soak_process_healthy", process="signal") == 1
    col.handle("soak.health.signal", _hb("degraded"))
    assert value(col, "soak_health_checks_total", process="signal", status="healthy") == 2
    assert value(col, "soak_health_checks_total", process="signal", status="degraded") == 1
    assert value(col, "soak_process_healthy", process="signal") == 0


def test_every_configured_process_and_status_is_exposed_at_zero_from_the_start():
    col, _, _ = _health(processes=("signal", "broker"))
    for process in ("signal", "broker"):
        for status in ("healthy", "degraded", "unhealthy", "missing"):
            assert value(col, "soak_health_checks_total", process=process, status=status) == 0


def test_heartbeats_of_unconfigured_processes_are_counted_and_make_no_series():
    col, _, errors = _health()
    for i in range(300):
        col.handle(f"soak.health.p{i}", _hb("healthy", f"p{i}"))
    assert errors.get("health", "unknown_process") == 300
    assert value(col, "soak_health_checks_total", process="p7", status="healthy") is None
    assert value(col, "soak_process_healthy", process="p7") is None


def test_missing_after_three_intervals_then_one_per_interval():
    col, clock, _ = _health(processes=("signal", "broker"))
    col.handle("soak.health.signal", _hb("healthy"))
    clock.now = 29.9
    col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 0
    clock.now = 30.0
    col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 1
    assert value(col, "soak_process_healthy", process="signal") == 0
    clock.now = 45.0
    col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 2
    assert value(col, "soak_health_checks_total", process="broker", status="missing") == 2  # never heard
    col.handle("soak.health.signal", _hb("healthy"))  # back: the silence clock restarts
    clock.now = 74.0
    col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 2
    assert value(col, "soak_process_healthy", process="signal") == 1


def test_hold_keeps_silence_from_counting_while_heartbeats_cannot_arrive():
    col, clock, _ = _health()
    for clock.now in (10.0, 20.0, 40.0):
        col.hold()  # e.g. the exporter lost its NATS connection
        col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 0
    clock.now = 69.9
    col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 0
    clock.now = 70.0
    col.tick()
    assert value(col, "soak_health_checks_total", process="signal", status="missing") == 1


def test_bad_heartbeats_are_counted_not_checks(caplog):
    col, _, errors = _health()
    with caplog.at_level(logging.WARNING, logger="soakwatch.exporter"):
        for _ in range(3):
            col.handle("soak.health.signal", b"{not json")
        col.handle("soak.health.signal", _hb("sleepy"))
        col.handle("soak.health.signal", b"[1]")
        col.handle("soak.health.a b", _hb("healthy"))
    assert errors.get("health", "bad_json") == 3
    assert errors.get("health", "unknown_status") == 1
    assert errors.get("health", "not_object") == 1
    assert errors.get("health", "bad_subject") == 1
    assert sum("bad_json" in r.message for r in caplog.records) == 1  # logged once per reason
    col.handle("soak.health.signal", _hb("healthy"))  # good input counts again
    assert value(col, "soak_health_checks_total", process="signal", status="healthy") == 1


def _poller(answer):
    col, _, errors = _health()

    def get(url, timeout):
        if isinstance(answer, Exception):
            raise answer
        return answer

    endpoint = HttpHealthConfig(process="signal", url="http://127.0.0.1:1/health")
    return HttpHealthPoller(endpoint, col, errors, get=get), col, errors


def test_http_health_statuses():
    assert _poller((200, b'{"status": "degraded"}'))[0].poll() == "degraded"
    assert _poller((503, b""))[0].poll() == "unhealthy"
    assert _poller(ConnectionRefusedError())[0].poll() == "missing"
    poller, col, errors = _poller((200, b"ok"))
    assert poller.poll() is None and errors.get("health_http", "bad_json") == 1
    poller, col, errors = _poller((200, b'{"status": "fine"}'))
    assert poller.poll() is None and errors.get("health_http", "unknown_status") == 1
    poller, col, _ = _poller((204, b'{"status": "healthy"}'))
    poller.poll()
    assert value(col, "soak_health_checks_total", process="signal", status="healthy") == 1


def test_error_log_is_rate_limited_per_reason(caplog):
    clock = Clock()
    errors = ErrorCounter(log_every=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="soakwatch.exporter"):
        errors.count("sinks", "sqlite_locked")
        errors.count("sinks", "sqlite_locked")
        errors.count("sinks", "jsonl_bad_json")
        clock.now = 61
        errors.count("sinks", "sqlite_locked")
    assert len(caplog.records) == 3
    assert value(errors, "soak_exporter_errors_total", collector="sinks", reason="sqlite_locked") == 3
