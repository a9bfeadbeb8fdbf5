"""Criteria on the pipeline's own outputs: time-series exports, sink parity, harvester SLOs."""

from __future__ import annotations

from soakwatch.verify.criteria.base import Check, Criterion, Measurement
from soakwatch.verify.querier import Querier

SINK_COUNTS = "sum by (sink, kind) (increase(soak_sink_signals_total[$window]))"
SINKS = ("jsonl", "sqlite")
PARITY_FIELDS = ("total", "confirm", "strong_ratio")

EXPORT_RATE = Criterion(
    id="export_rate",
    description="time-series exports of the reporter: at least one per minute, no errors",
    checks=(
        Check("per_minute", "sum(increase(soak_timeseries_exports_total[$window])) / ($window_seconds / 60)",
              ">=", 1.0, "per_minute"),
        Check("errors", "sum(increase(soak_timeseries_export_errors_total[$window])) or vector(0)", "<=", 0.0,
              "count"),
    ),
    coverage="soak_timeseries_exports_total",
    series="sum(increase(soak_timeseries_exports_total[10m])) / 10",
)


def relative_diff(a: float, b: float) -> float:
    """``|a - b| / max(|a|, |b|)``; 0 when both are 0."""
    top = max(abs(a), abs(b))
    return abs(a - b) / top if top else 0.0


def parity(counts: dict[tuple[str, str], float]) -> dict[str, float]:
    """Diff ratios of the two sinks for ``total``, ``confirm`` and ``strong_ratio``; NaN when unknown."""
    get = counts.get
    nan = float("nan")
    result = {}
    for field in ("total", "confirm"):
        a, b = get((SINKS[0], field)), get((SINKS[1], field))
        result[field] = relative_diff(a, b) if a is not None and b is not None else nan
    ratios = [(get((sink, "strong")) or 0.0) / total if (total := get((sink, "total"))) else None for sink in SINKS]
    known = [r for r in ratios if r is not None] if (SINKS[0], "strong") in counts else []
    result["strong_ratio"] = relative_diff(known[0], known[1]) if len(known) == 2 else nan
    return result


def parity_query(field: str) -> str:
    """The exporter's aligned parity of one field, as it stood at the window's end."""
    return f'max(last_over_time(soak_sink_parity_diff_ratio{{field="{field}"}}[$window]))'


def sink_counts(q: Querier) -> dict[tuple[str, str], float]:
    """Signals each sink gained in the window, by (sink, kind)."""
    return {(labels.get("sink", ""), labels.get("kind", "")): value for labels, value in q.instant(SINK_COUNTS)}


class _SinkParity(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = super().measure(q)
        counts = sink_counts(q)
        if counts:
            m.notes.append("gained in the window (total/confirm/strong): " + ", ".join(
                f"{sink} " + "/".join(f"{counts.get((sink, kind), 0):.0f}" for kind in ("total", "confirm", "strong"))
                for sink in SINKS))
        return m


SINK_PARITY = _SinkParity(
    id="sink_parity",
    description="JSONL and SQLite sinks agree on total, confirm and strong_ratio (the exporter's aligned parity "
                "at the window's end)",
    checks=tuple(Check(f"{field}_diff", parity_query(field), "<", 0.005, "ratio") for field in PARITY_FIELDS),
    coverage="soak_sink_parity_diff_ratio",
    series="max by (field) (soak_sink_parity_diff_ratio)",
)

HARVESTER_SLO = Criterion(
    id="harvester_slo",
    description="harvester: no queue drops, no substream timeouts, few reconnects",
    checks=(
        Check("queue_dropped", "sum(increase(soak_harvester_queue_dropped_total[$window]))", "<=", 0.0, "count"),
        Check("substream_timeouts", "sum(increase(soak_harvester_substream_timeouts_total[$window]))", "<=", 0.0,
              "count"),
        Check("reconnects", "sum(increase(soak_harvester_reconnects_total[$window]))", "<=", 3.0, "count"),
    ),
    coverage="soak_harvester_queue_dropped_total",
    series='{__name__=~"soak_harvester_(queue_dropped|substream_timeouts|reconnects)_total"}',
)

CRITERIA = (EXPORT_RATE, SINK_PARITY, HARVESTER_SLO)
