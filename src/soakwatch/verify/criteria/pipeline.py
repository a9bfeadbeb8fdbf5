"""Criteria on the pipeline's own outputs: time-series exports, sink parity, harvester SLOs."""

from __future__ import annotations

import math

from soakwatch.verify.counting import Counted, Counter, cumulative, raw, scrape_interval
from soakwatch.verify.criteria.base import WHOLE, Check, Criterion, Measurement
from soakwatch.verify.querier import Labels, Points, Querier, Series

SINK_SIGNALS = "soak_sink_signals_total"
SINKS = ("jsonl", "sqlite")
PARITY_FIELDS = ("total", "confirm", "strong_ratio")

_EXPORTS = "soak_timeseries_exports_total"
_EXPORT_ERRORS = "soak_timeseries_export_errors_total"
_LAST_EXPORT = "soak_timeseries_last_export_timestamp_seconds"


class _ExportRate(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        counter = Counter(q)
        counted = counter.series(_EXPORTS)
        if not counted:
            return m
        w = q.window
        interval = scrape_interval(counted)
        events = export_times(counted, q.samples(raw(_LAST_EXPORT)), w.start)
        gap, m.series = longest_gap(events, w.start, w.end)
        m.set("max_gap", WHOLE, gap)
        m.thresholds["max_gap"] = self.check("max_gap").threshold + (interval if math.isfinite(interval) else 0.0)
        exports, minutes = sum(s.total for s in counted), math.floor(w.seconds / 60 + 1e-9)
        m.set("per_minute", WHOLE, exports / minutes if minutes else math.nan)
        m.set("errors", WHOLE, counter.total(_EXPORT_ERRORS) or 0.0)
        m.notes.append(f"{exports:.0f} exports in {minutes} full minutes; longest gap {gap:.1f} s "
                       f"(limit {m.thresholds['max_gap']:.1f} s: the period plus one scrape interval)")
        m.notes += counter.notes
        return m


def export_times(counted: list[Counted], last: list[tuple[Labels, Points]], start: float) -> list[tuple[float, float]]:
    """``(earliest, latest)`` time of each successful export seen in the window: the exact time from the
    last-export-timestamp gauge where it changed at that scrape, else the scrape interval it fell in."""
    gauges = {_identity(labels): dict(points) for labels, points in last}
    events = []
    for series in counted:
        gauge = gauges.get(_identity(series.labels), {})
        previous_value = next((v for t, v in sorted(gauge.items(), reverse=True) if t <= start), None)
        low = start
        for t, increase in series.increments:
            value = gauge.get(t)
            if increase > 0:
                exact = value is not None and value != previous_value
                events.append((min(max(value, low), t),) * 2 if exact and value is not None else (low, t))
            previous_value, low = value, t
    return sorted(events, key=lambda e: (e[1], e[0]))


def _identity(labels: Labels) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))


def longest_gap(events: list[tuple[float, float]], start: float, end: float) -> tuple[float, list[Series]]:
    """The longest stretch of the window without an export (from its start, between exports, to its end), and
    the plot of the time since the previous export, whose peaks are those gaps."""
    points, since, longest = [(start, 0.0)], start, 0.0
    for low, high in events:
        longest = max(longest, high - since)
        points += [(high, high - since), (high, high - low)]
        since = low
    longest = max(longest, end - since)
    points.append((end, end - since))
    return longest, [Series({}, points)]


EXPORT_RATE = _ExportRate(
    id="export_rate",
    description="time-series exports of the reporter: one in every minute (no gap over the period plus one "
                "scrape interval), at least one per full minute of the window, no errors",
    checks=(
        Check("max_gap", f"{raw(_EXPORTS)} and {raw(_LAST_EXPORT)}", "<=", 60.0, "seconds"),
        Check("per_minute", raw(_EXPORTS), ">=", 1.0, "per_minute"),
        Check("errors", raw(_EXPORT_ERRORS), "<=", 0.0, "count"),
    ),
    coverage=_EXPORTS,
    series=f"seconds since the previous export ({_EXPORTS} and {_LAST_EXPORT} raw samples)",
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
    return {(sink, kind): value for (sink, kind), value in Counter(q).totals(SINK_SIGNALS, ("sink", "kind")).items()}


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

# covered while the harvester figures are at most 5 minutes old (live stats, or the run manifest): the
# counters are exposed at 0 from the exporter's start, so their mere presence proves nothing was heard
HARVESTER_STALE_SECONDS = 300
HARVESTER_FRESH = ("time() - soak_harvester_last_update_timestamp_seconds"
                   f" <= {HARVESTER_STALE_SECONDS}")
_HARVESTER = {"queue_dropped": "soak_harvester_queue_dropped_total",
              "substream_timeouts": "soak_harvester_substream_timeouts_total",
              "reconnects": "soak_harvester_reconnects_total"}


class _HarvesterSlo(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        counter = Counter(q)
        plotted = []
        for name, selector in _HARVESTER.items():
            counted = counter.series(selector)
            if counted:
                m.set(name, WHOLE, sum(s.total for s in counted))
            if self.check(name).threshold == 0:
                plotted.append(Series({"counter": name}, cumulative(counted, q.window.start)))
        m.series = plotted
        m.notes += counter.notes
        return m


HARVESTER_SLO = _HarvesterSlo(
    id="harvester_slo",
    description="harvester: no queue drops, no substream timeouts, few reconnects",
    checks=(
        Check("queue_dropped", raw(_HARVESTER["queue_dropped"]), "<=", 0.0, "count"),
        Check("substream_timeouts", raw(_HARVESTER["substream_timeouts"]), "<=", 0.0, "count"),
        Check("reconnects", raw(_HARVESTER["reconnects"]), "<=", 3.0, "count"),
    ),
    coverage=HARVESTER_FRESH,
    series="soak_harvester_queue_dropped_total and soak_harvester_substream_timeouts_total counted from the "
           "window start (raw samples)",
)

CRITERIA = (EXPORT_RATE, SINK_PARITY, HARVESTER_SLO)
