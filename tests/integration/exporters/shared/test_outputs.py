"""OTLP push decoded by a real protobuf receiver; Influx lines written into a real VictoriaMetrics."""

from __future__ import annotations

import argparse
import json
import time
import urllib.parse
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from soakwatch.exporters.shared.outputs import add_output_arguments, start_outputs
from soakwatch.stack import victoria_metrics
from soakwatch.testing import OtlpReceiver


def _registry():
    registry = CollectorRegistry()
    Counter("soak_nats_messages", "messages", registry=registry).inc(1234)
    Gauge("soak_process_up", "up", ["process"], registry=registry).labels("signal").set(1)
    hist = Histogram("soak_nats_latency_seconds", "latency", buckets=(0.001, 0.01), registry=registry)
    for value in (0.0005, 0.002, 0.02):
        hist.observe(value)
    return registry


def _args(argv):
    parser = argparse.ArgumentParser()
    add_output_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.timeout(30)
def test_otlp_push_reaches_receiver_with_exact_values():
    registry = _registry()
    with OtlpReceiver() as receiver:
        outputs = start_outputs(registry, _args(["--otlp-endpoint", receiver.endpoint,
                                                 "--otlp-interval", "0.2"]), "soak-test")
        try:
            receiver.wait_for(2)
        finally:
            outputs.stop()
        metrics = receiver.latest_metrics()
        assert metrics["soak_nats_messages"].sum.data_points[0].as_double == 1234
        assert metrics["soak_nats_messages"].sum.is_monotonic
        up = metrics["soak_process_up"].gauge.data_points[0]
        assert up.as_double == 1 and up.attributes[0].value.string_value == "signal"
        point = metrics["soak_nats_latency_seconds"].histogram.data_points[0]
        assert list(point.bucket_counts) == [1, 1, 1] and point.count == 3
        assert metrics["soak_output_pushes"].sum.data_points  # the push counters travel too
        assert receiver.resource_attributes()["service.name"] == "soak-test"


@pytest.mark.timeout(30)
def test_otlp_push_to_dead_endpoint_counts_errors_and_never_raises():
    registry = _registry()
    outputs = start_outputs(registry, _args(["--otlp-endpoint", "http://127.0.0.1:9",
                                             "--otlp-interval", "60"]), "soak-test")
    outputs.stop()
    assert outputs.pushers[0].errors == 1 and outputs.pushers[0].ok == 0


def _vm_query(url: str, query: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v1/query?query={urllib.parse.quote(query)}", timeout=5) as r:
        return json.loads(r.read())["data"]["result"]


@pytest.mark.timeout(60)
def test_influx_mirror_into_victoria_metrics(tmp_path):
    registry = _registry()
    with victoria_metrics(tmp_path) as vm:
        outputs = start_outputs(registry, _args([
            "--influx-url", vm.url, "--influx-token", "any", "--influx-org", "soak",
            "--influx-bucket", "soak", "--influx-interval", "60",
        ]), "soak-test")
        outputs.stop()  # the final push writes everything once
        assert outputs.pushers[0].ok == 1, outputs.pushers[0]._last_error
        urllib.request.urlopen(f"{vm.url}/internal/force_flush", timeout=5).read()
        deadline = time.monotonic() + 15
        while not (result := _vm_query(vm.url, "soak_nats_messages_total_value")):
            assert time.monotonic() < deadline, "influx lines never became queryable"
            time.sleep(0.2)
        assert float(result[0]["value"][1]) == 1234
        up = _vm_query(vm.url, 'soak_process_up_value{process="signal"}')
        assert float(up[0]["value"][1]) == 1
        bucket = _vm_query(vm.url, 'soak_nats_latency_seconds_bucket_value{le="0.01"}')
        assert float(bucket[0]["value"][1]) == 2
