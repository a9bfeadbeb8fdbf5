"""Criteria on the tick stream measured by the probe: rate, parse gaps, connectivity, latency."""

from __future__ import annotations

from soakwatch.verify.counting import Counter, cumulative, ratio, raw
from soakwatch.verify.criteria.base import WHOLE, Check, Criterion, Measurement
from soakwatch.verify.querier import Querier, Series

MESSAGES = "soak_nats_messages_total"
_ERRORS = "soak_nats_parse_errors_total"


class _TickRate(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        counted = Counter(q).series(MESSAGES)
        start, end = q.window.start, q.window.end
        points = [(t, n / (t - start)) for t, n in cumulative(counted, start) if t > start]
        if counted:
            rate = sum(s.total for s in counted) / q.window.seconds
            m.set("rate", WHOLE, rate)
            points.append((end, rate))  # the running mean ends at the window's end: the measured value
        m.series = [Series({}, points)]
        return m


TICK_RATE = _TickRate(
    id="tick_rate",
    description="mean tick rate over the window (messages counted in the window / its length)",
    checks=(Check("rate", raw(MESSAGES), ">=", 5000.0, "msgs/s"),),
    coverage=MESSAGES,
    series=f"{MESSAGES} counted from the window start / seconds since it (raw samples)",
)


class _ParseGaps(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        counter = Counter(q)
        messages, errors = counter.series(MESSAGES), counter.series(_ERRORS)
        total = sum(s.total for s in messages)
        if messages and total > 0:
            m.set("ratio", WHOLE, sum(s.total for s in errors) / total)
        start = q.window.start
        m.series = [Series({}, ratio(cumulative(errors, start), cumulative(messages, start)))]
        m.notes += counter.notes
        return m


PARSE_GAPS = _ParseGaps(
    id="parse_gaps",
    description="parse errors (bad JSON, no or bad timestamp) per message",
    checks=(Check("ratio", f"{raw(_ERRORS)} / {raw(MESSAGES)}", "<", 0.001, "ratio"),),
    coverage=MESSAGES,
    series=f"{_ERRORS} / {MESSAGES}, both counted from the window start (raw samples)",
)

_CONNECTED = "min(min_over_time(soak_nats_connected[$window]))"
_COUNTED_LINKS = {"reconnects": "soak_nats_reconnects_total", "dropped": "soak_nats_dropped_messages_total"}


class _Connectivity(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        for _, value in q.instant(_CONNECTED):
            m.set("connected", WHOLE, value)
        counter = Counter(q)
        for name, selector in _COUNTED_LINKS.items():
            m.set(name, WHOLE, counter.total(selector) or 0.0)
        m.notes += counter.notes
        return m


CONNECTIVITY = _Connectivity(
    id="connectivity",
    description="probe connected the whole window, no reconnects, no dropped messages",
    checks=(
        Check("connected", _CONNECTED, ">=", 1.0, "bool"),
        *(Check(name, raw(selector), "<=", 0.0, "count") for name, selector in _COUNTED_LINKS.items()),
    ),
    coverage="soak_nats_connected",
    series="min(min_over_time(soak_nats_connected[$step]))",
)

_BUCKETS = "soak_nats_latency_seconds_bucket"

TICK_LATENCY = Criterion(
    id="tick_latency",
    description="tick latency (receive time - event time) from the probe's histogram",
    checks=(
        Check("p99", f"histogram_quantile(0.99, sum by (le) (rate({_BUCKETS}[$window])))", "<=", 0.010, "seconds"),
        Check("mean", "sum(rate(soak_nats_latency_seconds_sum[$window]))"
                      " / sum(rate(soak_nats_latency_seconds_count[$window]))", "<=", 0.005, "seconds"),
    ),
    coverage="soak_nats_latency_seconds_count",
    series=f"histogram_quantile(0.99, sum by (le) ({_BUCKETS} - {_BUCKETS} @ start()))",
    severity="warning",
)

CRITERIA = (TICK_RATE, PARSE_GAPS, CONNECTIVITY, TICK_LATENCY)
