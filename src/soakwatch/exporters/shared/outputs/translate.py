"""Translate Prometheus metric families (``registry.collect()``) into OTLP data and Influx lines."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    Sum,
)
from prometheus_client.metrics_core import Metric as PromMetric

_UNITS = {"_seconds": "s", "_bytes": "By", "_ratio": "1"}
_CUMULATIVE = AggregationTemporality.CUMULATIVE


def otlp_unit(name: str) -> str:
    """OTLP unit (UCUM) from a base-unit suffix of the metric name."""
    return next((unit for suffix, unit in _UNITS.items() if name.endswith(suffix)), "")


def to_otlp(families: Iterable[PromMetric], start_ns: int, now_ns: int) -> list[Metric]:
    """OTLP metrics for counters, gauges and histograms (cumulative temporality)."""
    metrics = []
    for family in families:
        data = _otlp_data(family, start_ns, now_ns)
        if data is not None:
            metrics.append(Metric(family.name, family.documentation, otlp_unit(family.name), data))
    return metrics


def _otlp_data(family: PromMetric, start_ns: int, now_ns: int) -> Sum | Gauge | Histogram | None:
    if family.type == "histogram":
        histogram_points = list(_histogram_points(family, start_ns, now_ns))
        return Histogram(histogram_points, _CUMULATIVE) if histogram_points else None
    suffix = "_total" if family.type == "counter" else ""
    points = [
        NumberDataPoint(dict(s.labels), start_ns, now_ns, float(s.value))
        for s in family.samples if s.name == family.name + suffix
    ]
    if not points:
        return None
    if family.type == "counter":
        return Sum(points, _CUMULATIVE, is_monotonic=True)
    return Gauge(points)


def _histogram_points(family: PromMetric, start_ns: int, now_ns: int) -> Iterator[HistogramDataPoint]:
    """One point per label set: Prometheus' cumulative buckets become OTLP per-bucket counts."""
    series: dict[tuple[tuple[str, str], ...], dict[str, object]] = {}
    for sample in family.samples:
        labels = {k: v for k, v in sample.labels.items() if k != "le"}
        entry = series.setdefault(tuple(sorted(labels.items())), {"buckets": [], "sum": 0.0, "count": 0})
        if sample.name.endswith("_bucket"):
            entry["buckets"].append((float(sample.labels["le"]), sample.value))  # type: ignore[attr-defined]
        elif sample.name.endswith("_sum"):
            entry["sum"] = sample.value
        elif sample.name.endswith("_count"):
            entry["count"] = sample.value
    for key, entry in series.items():
        bounds, counts = _bucket_counts(entry["buckets"])  # type: ignore[arg-type]
        yield HistogramDataPoint(
            dict(key), start_ns, now_ns, int(entry["count"]), entry["sum"],  # type: ignore[call-overload,arg-type]
            counts, bounds, min=None, max=None,  # type: ignore[arg-type]
        )


def _bucket_counts(cumulative: list[tuple[float, float]]) -> tuple[list[float], list[int]]:
    ordered = sorted(cumulative)
    bounds = [le for le, _ in ordered if not math.isinf(le)]
    counts, previous = [], 0.0
    for _, value in ordered:
        counts.append(int(value - previous))
        previous = value
    return bounds, counts


def _escape(text: str, specials: str) -> str:
    for char in ("\\", *specials):
        text = text.replace(char, "\\" + char)
    return text


def to_influx_lines(families: Iterable[PromMetric], now_ns: int) -> list[str]:
    """Influx line protocol: measurement = sample name, tags = labels, one field ``value``.

    ``soak_nats_messages_total{job="x"} 5`` becomes ``soak_nats_messages_total,job=x value=5 <ns>``
    (VictoriaMetrics stores it as ``soak_nats_messages_total_value``).
    """
    lines = []
    for family in families:
        for sample in family.samples:
            if math.isnan(sample.value) or sample.name.endswith("_created"):
                continue
            tags = "".join(
                f",{_escape(k, ',= ')}={_escape(str(v), ',= ')}"
                for k, v in sorted(sample.labels.items()) if v != ""
            )
            lines.append(f"{_escape(sample.name, ', ')}{tags} value={float(sample.value)!r} {now_ns}")
    return lines
