"""The reporter's time-series export: figures to a Pushgateway (job soak_report) or InfluxDB line protocol."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from soakwatch.errors import ConfigError

JOB = "soak_report"
TYPES = ("prometheus", "influxdb")
TYPE_ENV, URL_ENV = "TIMESERIES_TYPE", "TIMESERIES_URL"
DEFAULT_URL = "http://127.0.0.1:9091"
UNREACHABLE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens, every push fails
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Figures:
    """What the reporter exports: ``total``, ``strong_ratio``, ``gating_breakdown`` and ``per_minute``."""

    total: int
    strong_ratio: float
    per_minute: int
    gating_breakdown: Mapping[str, int] = field(default_factory=dict)


def target_from_env() -> tuple[str, str]:
    """(type, url) from ``TIMESERIES_TYPE`` and ``TIMESERIES_URL``."""
    kind = os.environ.get(TYPE_ENV, "prometheus")
    if kind not in TYPES:
        raise ConfigError(TYPE_ENV, f"must be one of {', '.join(TYPES)}, got {kind!r}")
    return kind, os.environ.get(URL_ENV) or DEFAULT_URL


def push(kind: str, url: str, figures: Figures) -> None:
    """One export; raises on any failure (the caller logs it and carries on)."""
    if kind == "prometheus":
        push_prometheus(url, figures)
    else:
        push_influxdb(url, figures)


def push_prometheus(url: str, figures: Figures) -> None:
    registry = CollectorRegistry()
    Gauge("soak_report_signals", "Signals counted by the reporter in this run.", registry=registry).set(
        figures.total)
    Gauge("soak_report_strong_ratio", "Strong signals / all signals of this run.", registry=registry).set(
        figures.strong_ratio)
    Gauge("soak_report_signals_per_minute", "Signals in the last minute.", registry=registry).set(
        figures.per_minute)
    gated = Gauge("soak_report_gated_signals", "Gated signals of this run, by reason.", ["reason"],
                  registry=registry)
    for reason, count in figures.gating_breakdown.items():
        gated.labels(reason).set(count)
    push_to_gateway(url.removesuffix("/"), job=JOB, registry=registry, timeout=TIMEOUT_SECONDS)


def influx_lines(figures: Figures) -> bytes:
    lines = [f"{JOB} total={figures.total}i,strong_ratio={figures.strong_ratio},per_minute={figures.per_minute}i"]
    lines += [f"{JOB}_gating,reason={reason} count={count}i" for reason, count in figures.gating_breakdown.items()]
    return "\n".join(lines).encode()


def push_influxdb(url: str, figures: Figures) -> None:
    """POST line protocol to ``url`` (e.g. ``http://influx:8086/api/v2/write?org=o&bucket=b``)."""
    request = urllib.request.Request(url, data=influx_lines(figures), method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()
