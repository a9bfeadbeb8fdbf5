"""Criterion on the run's own length: how long ticks flowed while the pipeline's processes were up."""

from __future__ import annotations

import itertools
import math

from soakwatch.verify.counting import Counted, Counter, raw, scrape_interval
from soakwatch.verify.criteria.base import WHOLE, Check, Criterion, Measurement
from soakwatch.verify.criteria.probe import MESSAGES
from soakwatch.verify.querier import Points, Querier, Series

DEFAULT_PLANNED = 3600.0
RESTART_ALLOWANCE = 12.0  # a pause this long (restart_recovery's limit) plus two scrapes does not end the run
UP = "soak_process_up"
Spans = list[tuple[float, float]]


def flowing(counted: list[Counted]) -> Spans:
    """Stretches between two tick samples over which the message count rose."""
    spans = []
    for series in counted:
        previous = None
        for t, increase in series.increments:
            low = previous if previous is not None else t - (series.spacing if math.isfinite(series.spacing) else 0)
            if increase > 0:
                spans.append((low, t))
            previous = t
    return spans


def up(samples: list[tuple[dict[str, str], Points]]) -> Spans:
    """Stretches between two samples of a process's ``soak_process_up`` with the process up at either end."""
    return [(a[0], b[0]) for _, points in samples for a, b in itertools.pairwise(points)
            if a[1] >= 1 or b[1] >= 1]


def merge(spans: Spans, bridge: float = 0.0) -> Spans:
    """The union of ``spans``; stretches at most ``bridge`` apart are joined."""
    out: Spans = []
    for low, high in sorted(spans):
        if out and low <= out[-1][1] + bridge:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def intersect(a: Spans, b: Spans, start: float, end: float) -> Spans:
    """Where both unions hold, inside ``[start, end]`` (one pass over the two sorted unions)."""
    x, y, out, i, j = merge(a), merge(b), [], 0, 0
    while i < len(x) and j < len(y):
        low, high = max(x[i][0], y[j][0], start), min(x[i][1], y[j][1], end)
        if low < high:
            out.append((low, high))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


class _RunDuration(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        counted = Counter(q).series(MESSAGES)
        processes = q.samples(raw(UP))
        if not counted or not processes:
            m.notes.append(f"no {UP} series in the window" if counted else f"no {MESSAGES} series in the window")
            return m
        w, planned = q.window, self.check("duration").threshold
        interval = scrape_interval(counted)
        tolerance = 2 * interval if math.isfinite(interval) else 0.0
        live = merge(intersect(flowing(counted), up(processes), w.start, w.end), RESTART_ALLOWANCE + tolerance)
        ran = sum(high - low for low, high in live)
        m.set("duration", WHOLE, ran)
        m.thresholds["duration"] = planned - tolerance
        m.notes.append(f"planned {planned / 60:.1f} min, ran {ran / 60:.1f} min in the window (tolerance "
                       f"{tolerance:.0f} s: two scrape intervals)" + (
                           f", from {w.iso(live[0][0])} to {w.iso(live[-1][1])}" if live else ""))
        m.series = [Series({}, _so_far(live, w.start, w.end))]
        return m


def _so_far(live: Spans, start: float, end: float) -> Points:
    points, total = [(start, 0.0)], 0.0
    for low, high in live:
        points.append((low, total))
        total += high - low
        points.append((high, total))
    return [*points, (end, total)]


RUN_DURATION = _RunDuration(
    id="run_duration",
    description="the run lasted at least its planned length: ticks flowed while the pipeline's processes were up",
    checks=(Check("duration", f"{raw(MESSAGES)} and {raw(UP)}", ">=", DEFAULT_PLANNED, "s"),),
    coverage=MESSAGES,
    series=f"seconds of the window so far with {MESSAGES} rising and a {UP} process up (raw samples)",
    needs_coverage=False,
)

CRITERIA = (RUN_DURATION,)
