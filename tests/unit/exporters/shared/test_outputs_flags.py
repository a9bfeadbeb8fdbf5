"""Output flags: validation errors name the flag; secrets stay out of help and errors."""

import argparse

import pytest

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.outputs import add_output_arguments, parse_headers, start_outputs
from soakwatch.exporters.shared.outputs.otlp import metrics_url
from soakwatch.exporters.shared.outputs.pusher import PeriodicPusher


def _args(argv):
    parser = argparse.ArgumentParser()
    add_output_arguments(parser)
    return parser, parser.parse_args(argv)


def test_metrics_url_appends_path_only_when_missing():
    assert metrics_url("http://127.0.0.1:4318") == "http://127.0.0.1:4318/v1/metrics"
    assert metrics_url("http://h:4318/custom/path") == "http://h:4318/custom/path"
    with pytest.raises(ConfigError, match="--otlp-endpoint must be an http"):
        metrics_url("grpc://h:4317")


def test_headers_parse_and_reject_without_echoing_values():
    assert parse_headers("a=1, b = two") == {"a": "1", "b": "two"}
    with pytest.raises(ConfigError) as info:
        parse_headers("authorization")
    assert "--otlp-header" in str(info.value)


def test_influx_needs_org_and_bucket():
    from prometheus_client import CollectorRegistry

    _, args = _args(["--influx-url", "http://127.0.0.1:1", "--influx-token", "s3cret"])
    with pytest.raises(ConfigError, match="--influx-org is required") as info:
        start_outputs(CollectorRegistry(), args, "t")
    assert "s3cret" not in str(info.value)


def test_help_hides_token(monkeypatch):
    monkeypatch.setenv("INFLUX_TOKEN", "tok-123")
    parser, _ = _args([])
    assert "tok-123" not in parser.format_help()
    assert "env INFLUX_TOKEN" in parser.format_help()


def test_pusher_counts_failures_and_logs_each_kind_once(caplog):
    calls = []

    def push():
        calls.append(1)
        raise ConnectionError("refused")

    pusher = PeriodicPusher("otlp", push, interval=60)
    assert not pusher.push_once() and not pusher.push_once()
    assert pusher.errors == 2 and pusher.ok == 0
    assert sum("otlp push failed" in r.message for r in caplog.records) == 1
