"""Criteria on the tick stream measured by the probe: rate, parse gaps, connectivity, latency."""

from __future__ import annotations

from soakwatch.verify.criteria.base import Check, Criterion

_MESSAGES = "sum(increase(soak_nats_messages_total[$window]))"

TICK_RATE = Criterion(
    id="tick_rate",
    description="mean tick rate over the window",
    checks=(Check("rate", "sum(rate(soak_nats_messages_total[$window]))", ">=", 5000.0, "msgs/s"),),
    coverage="soak_nats_messages_total",
    series="sum(rate(soak_nats_messages_total[$rate_window]))",
)

PARSE_GAPS = Criterion(
    id="parse_gaps",
    description="parse errors (bad JSON, no or bad timestamp) per message",
    checks=(Check("ratio", f"(sum(increase(soak_nats_parse_errors_total[$window])) or vector(0)) / {_MESSAGES}",
                  "<", 0.001, "ratio"),),
    coverage="soak_nats_messages_total",
    series="(sum(rate(soak_nats_parse_errors_total[$rate_window])) or vector(0))"
           " / sum(rate(soak_nats_messages_total[$rate_window]))",
)

CONNECTIVITY = Criterion(
    id="connectivity",
    description="probe connected the whole window, no reconnects, no dropped messages",
    checks=(
        Check("connected", "min(min_over_time(soak_nats_connected[$window]))", ">=", 1.0, "bool"),
        Check("reconnects", "sum(increase(soak_nats_reconnects_total[$window])) or vector(0)", "<=", 0.0, "count"),
        Check("dropped", "sum(increase(soak_nats_dropped_messages_total[$window])) or vector(0)", "<=", 0.0,
              "count"),
    ),
    coverage="soak_nats_connected",
    series="min(soak_nats_connected)",
)

TICK_LATENCY = Criterion(
    id="tick_latency",
    description="tick latency (receive time - event time) from the probe's histogram",
    checks=(
        Check("p99", "histogram_quantile(0.99, sum by (le) (rate(soak_nats_latency_seconds_bucket[$window])))",
              "<=", 0.010, "seconds"),
        Check("mean", "sum(rate(soak_nats_latency_seconds_sum[$window]))"
                      " / sum(rate(soak_nats_latency_seconds_count[$window]))", "<=", 0.005, "seconds"),
    ),
    coverage="soak_nats_latency_seconds_count",
    series="histogram_quantile(0.99, sum by (le) (rate(soak_nats_latency_seconds_bucket[$rate_window])))",
    severity="warning",
)

CRITERIA = (TICK_RATE, PARSE_GAPS, CONNECTIVITY, TICK_LATENCY)
