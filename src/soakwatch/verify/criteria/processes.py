"""Per-process criteria: health, resources, memory growth, restart recovery and shutdown order."""

from __future__ import annotations

import math

from soakwatch.contract import SHUTDOWN_ORDER
from soakwatch.verify.counting import Counted, Counter, cumulative, ratio, raw
from soakwatch.verify.criteria.base import WHOLE, Check, Criterion, Measurement, finite
from soakwatch.verify.querier import Points, Querier, Series

MIB = 1024.0 * 1024.0
HEALTH = "soak_health_checks_total"


class _HealthGreen(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        counter = Counter(q)
        by_process: dict[str, list[Counted]] = {}
        for series in counter.series(HEALTH):
            by_process.setdefault(series.labels.get("process", ""), []).append(series)
        start = q.window.start
        m.series = []
        for process, counted in sorted(by_process.items()):
            healthy = [s for s in counted if s.labels.get("status") == "healthy"]
            checks = sum(s.total for s in counted)
            if checks > 0:
                m.set("healthy_ratio", process, sum(s.total for s in healthy) / checks)
                m.set("checks", process, checks)  # the counts behind the ratio, for the live budget
                m.set("not_healthy", process, checks - sum(s.total for s in healthy))
            m.series.append(Series({"process": process}, ratio(cumulative(healthy, start), cumulative(counted, start))))
        m.notes += counter.notes
        return m


HEALTH_GREEN = _HealthGreen(
    id="health_green",
    description="healthy heartbeats as a share of all heartbeats, per process",
    checks=(Check("healthy_ratio", raw(HEALTH), ">=", 0.98, "ratio"),),
    coverage=HEALTH,
    series="healthy / all soak_health_checks_total counted from the window start, per process (raw samples)",
    per_process=True,
)

RESOURCES = Criterion(
    id="resources",
    description="peak resident memory and open file descriptors, per process",
    checks=(
        Check("max_rss", "max by (process) (max_over_time(soak_process_resident_memory_bytes[$window]))",
              "<", 600 * MIB, "bytes"),
        Check("max_open_fds", "max by (process) (max_over_time(soak_process_open_fds[$window]))", "<", 256.0,
              "count"),
    ),
    coverage="soak_process_resident_memory_bytes",
    series="max by (process) (max_over_time(soak_process_resident_memory_bytes[$step]))",
    per_process=True,
)

_RSS = "max by (process) (soak_process_resident_memory_bytes)"


def running_slope(points: Points, start: float) -> Points:
    """Least-squares slope per hour of the points from the first up to each one (what ``deriv`` over the window
    so far gives)."""
    n = st = sy = stt = sty = 0.0
    out = []
    for t, y in points:
        if not math.isfinite(y):
            continue
        x = t - start
        n, st, sy, stt, sty = n + 1, st + x, sy + y, stt + x * x, sty + x * y
        spread = n * stt - st * st
        if n >= 2 and spread > 0:
            out.append((t, (n * sty - st * sy) / spread * 3600))
    return out


class _MemoryGrowth(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = super().measure(q)
        m.series = [Series(labels, running_slope(points, q.window.start)) for labels, points in q.range(_RSS)]
        return m


MEMORY_GROWTH = _MemoryGrowth(
    id="memory_growth",
    description="resident memory growth (least-squares slope over the window), per process",
    checks=(Check("growth", "max by (process) (deriv(soak_process_resident_memory_bytes[$window])) * 3600",
                  "<", 50 * MIB, "bytes/h"),),
    coverage="soak_process_resident_memory_bytes",
    series=f"least-squares slope per hour of {_RSS} from the window start",
    per_process=True,
)

RESTARTS = "soak_process_restarts_total"
_DOWNTIME = "max by (process) (max_over_time(soak_process_restart_downtime_seconds[$window]))"


class _RestartRecovery(Criterion):
    def measure(self, q: Querier) -> Measurement:
        counter = Counter(q)
        restarts = {p: round(v) for (p,), v in counter.totals(RESTARTS, ("process",), combine="max").items()}
        downtime = {labels.get("process", ""): v for labels, v in q.instant(_DOWNTIME)}
        m = Measurement()
        for process, count in restarts.items():
            m.set("downtime", process, downtime.get(process, float("nan")) if count > 0 else 0.0)
            if count > 0:
                longest = downtime.get(process)
                shown = f"{longest:.1f} s" if longest is not None and finite(longest) else "not recorded"
                m.notes.append(f"{process}: {count} restart(s), longest downtime {shown}")
        m.notes += counter.notes
        return m


RESTART_RECOVERY = _RestartRecovery(
    id="restart_recovery",
    description="every process that restarted in the window was back up quickly",
    checks=(Check("downtime", _DOWNTIME, "<=", 12.0, "seconds"),),
    coverage=RESTARTS,
    series="max by (process) (max_over_time(soak_process_restart_downtime_seconds[$step]))",
    per_process=True,
)

_EXITS = "max by (process) (last_over_time(soak_process_exit_time_seconds[$window]))"
_STARTS = "max by (process) (last_over_time(soak_process_start_time_seconds[$window]))"


def exited(q: Querier) -> tuple[dict[str, float], list[str]]:
    """Exit time of each process that was not running at the window's end, and those still running."""
    starts = {labels.get("process", ""): v for labels, v in q.instant(_STARTS)}
    exits = {labels.get("process", ""): v for labels, v in q.instant(_EXITS)}
    gone = {p: t for p, t in exits.items() if finite(t) and t > 0 and t >= starts.get(p, 0.0)
            and q.window.start <= t <= q.window.end}
    return gone, sorted(set(starts) - set(gone))


class _ShutdownOrder(Criterion):
    def measure(self, q: Querier) -> Measurement:
        gone, running = exited(q)
        m = Measurement()
        if not gone:
            m.set("in_order", WHOLE, 1.0)
            m.notes.append("the run did not shut down in the window")
            return m
        seen = sorted(gone, key=lambda p: (gone[p], p))
        expected = [p for p in SHUTDOWN_ORDER if p in gone]
        ok = seen == expected and not running
        m.set("in_order", WHOLE, 1.0 if ok else 0.0)
        m.set("running", WHOLE, float(len(running)))  # a shutdown (or a restart) still under way
        m.notes.append("seen: " + " -> ".join(seen) + (f"; still running: {', '.join(running)}" if running else ""))
        return m


SHUTDOWN_ORDER_CRITERION = _ShutdownOrder(
    id="shutdown_order",
    description="if the run shut down: " + ", ".join(SHUTDOWN_ORDER) + " in that order",
    checks=(Check("in_order", _EXITS, "==", 1.0, "bool"),),
    coverage="soak_process_start_time_seconds",
    series="max by (process) (soak_process_up)",
    plot_check="",
)

CRITERIA = (HEALTH_GREEN, RESOURCES, MEMORY_GROWTH, RESTART_RECOVERY, SHUTDOWN_ORDER_CRITERION)
