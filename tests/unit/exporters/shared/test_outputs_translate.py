"""Prometheus families -> OTLP data points and Influx line protocol."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from soakwatch.exporters.shared.outputs.translate import otlp_unit, to_influx_lines, to_otlp


def _registry():
    registry = CollectorRegistry()
    counter = Counter("soak_test_messages", "m", ["subject"], registry=registry)
    counter.labels("a").inc(3)
    Gauge("soak_test_depth", "d", registry=registry).set(7)
    hist = Histogram("soak_test_latency_seconds", "l", buckets=(0.1, 1.0), registry=registry)
    for value in (0.05, 0.5, 0.5, 5.0):
        hist.observe(value)
    return registry


def test_counter_gauge_histogram_to_otlp():
    metrics = {m.name: m for m in to_otlp(_registry().collect(), 1, 2)}
    counter = metrics["soak_test_messages"].data
    assert counter.is_monotonic and counter.data_points[0].value == 3
    assert dict(counter.data_points[0].attributes) == {"subject": "a"}
    assert metrics["soak_test_depth"].data.data_points[0].value == 7
    point = metrics["soak_test_latency_seconds"].data.data_points[0]
    assert list(point.explicit_bounds) == [0.1, 1.0]
    assert list(point.bucket_counts) == [1, 2, 1]  # per bucket, not cumulative
    assert point.count == 4 and point.sum == 6.05
    assert metrics["soak_test_latency_seconds"].unit == "s"


def test_units_from_suffix():
    assert otlp_unit("soak_process_resident_memory_bytes") == "By"
    assert otlp_unit("soak_sink_parity_diff_ratio") == "1"
    assert otlp_unit("soak_process_up") == ""


def test_influx_lines_escape_and_skip_created():
    registry = CollectorRegistry()
    Gauge("soak_test_g", "g", ["process"], registry=registry).labels("a b,c=d").set(1.5)
    Counter("soak_test_c", "c", registry=registry).inc()
    lines = to_influx_lines(registry.collect(), 99)
    assert "soak_test_g,process=a\\ b\\,c\\=d value=1.5 99" in lines
    assert "soak_test_c_total value=1.0 99" in lines
    assert not any("_created" in line for line in lines)
