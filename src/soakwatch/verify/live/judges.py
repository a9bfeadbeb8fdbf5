"""A live judge per criterion id: which breaches are already decided, and what a criterion waits for.

A breach is *decided* when no data still to come can undo it in the whole-run verdict over the same start: a
count of events that only grows (drops, timeouts, errors, reconnects over the limit), a maximum or minimum
over the window so far (RSS, fds, restart downtime, a disconnect, a critical alert), an unhealthy-check
budget already spent for the planned run, a shutdown completed out of order, a run that can no longer reach
its planned length. A mean or a slope that is breached now can recover: *at risk*.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from soakwatch.verify.criteria.base import WHOLE, finite
from soakwatch.verify.criteria.run import RESTART_ALLOWANCE
from soakwatch.verify.engine import NO_DATA, PASS, CriterionResult, Verdict
from soakwatch.verify.formats.values import fmt, measurements, threshold
from soakwatch.verify.live.states import AT_RISK, FAILED, PASSING, WAITING, Live, Moment, clock_time

Judge = Callable[[CriterionResult, Moment], Live | None]
RATE_MIN_DATA = 60.0  # a mean rate, a latency or an export rate needs one minute of data after the warm-up
SLOPE_MIN_DATA = 300.0  # a memory slope needs five minutes
_MIN_DATA = {"tick_rate": RATE_MIN_DATA, "parse_gaps": RATE_MIN_DATA, "tick_latency": RATE_MIN_DATA,
             "export_rate": RATE_MIN_DATA, "memory_growth": SLOPE_MIN_DATA}


def breaches(result: CriterionResult, names: tuple[str, ...] | None = None) -> list[str]:
    """``broker: max_open_fds 300 (max_open_fds < 256)`` for each check (of ``names``) breached now."""
    return [f"{_where(key)}{check.name} {fmt(check.values.get(key), check.unit)} ({threshold(check)})"
            for check in result.checks if names is None or check.name in names for key in check.failed]


def _where(key: str) -> str:
    return f"{key}: " if key != WHOLE else ""


def _failed(result: CriterionResult, m: Moment, reasons: list[str]) -> Live | None:
    """Failed when there are reasons, unless the criterion only warns (then at risk: it cannot fail the run)."""
    if not reasons:
        return None
    if result.severity == "warning" and not m.strict:
        return Live(result.id, AT_RISK, "breached (warning only): " + "; ".join(reasons))
    return Live(result.id, FAILED, "; ".join(reasons))


def decided(*names: str) -> Judge:
    """A judge for checks whose breach so far cannot be undone (every check when no names are given)."""
    return lambda result, m: _failed(result, m, breaches(result, names or None))


def _health_green(result: CriterionResult, m: Moment) -> Live | None:
    """Unhealthy checks against the budget of the checks the planned run will have, per process."""
    check = result.checks[0]
    spent: list[tuple[float, str, str]] = []
    for process, checks in result.measured.get("checks", {}).items():
        bad = result.measured.get("not_healthy", {}).get(process, 0.0)
        allowed = (1 - check.threshold) * checks * m.planned / max(m.elapsed, 1.0)
        left = 1 - bad / allowed if allowed > 0 else (0.0 if bad else 1.0)
        spent.append((left, process, f"{process}: {bad:.0f} unhealthy of {math.floor(allowed):.0f} allowed"))
    if not spent:
        return None
    left, _, text = min(spent)
    over = [t for budget, _, t in spent if budget < 0]
    return _failed(result, m, [f"{t} for the planned run" for t in over]) or _budget(result, text, left)


def _budget(result: CriterionResult, text: str, left: float) -> Live:
    if result.status == PASS:
        return Live(result.id, PASSING, text, max(0.0, left))
    return Live(result.id, AT_RISK, "; ".join([text, *breaches(result)[:1]]), max(0.0, left))


def _harvester(result: CriterionResult, m: Moment) -> Live | None:
    found = _failed(result, m, breaches(result))
    if found or result.status != PASS:
        return found
    check = next(c for c in result.checks if c.name == "reconnects")
    used = check.values.get(WHOLE) or 0.0
    return _budget(result, f"{used:.0f} reconnects of {check.threshold:.0f} allowed",
                   1 - used / check.threshold if check.threshold else 1.0)


def _export_rate(result: CriterionResult, m: Moment) -> Live | None:
    """Errors are decided; a gap between two exports is, the gap since the last one is still open."""
    reasons = breaches(result, ("errors",))
    gap = next(c for c in result.checks if c.name == "max_gap")
    closed = [v for s in result.series for _, v in s.points[:-1]]
    if closed and max(closed) > gap.threshold:
        reasons.append(f"a gap of {max(closed):.0f} s between exports (max_gap <= {gap.threshold:.0f} s)")
    return _failed(result, m, reasons)


def _shutdown_order(result: CriterionResult, m: Moment) -> Live | None:
    """Out of order only once every process is gone: while one runs, an exit may be a restart."""
    running = result.measured.get("running", {}).get(WHOLE, 0.0)
    if running == 0 or result.status == PASS:
        return _failed(result, m, breaches(result))
    return Live(result.id, AT_RISK, f"{'; '.join(result.notes)}: a restart under way, or a shutdown out of order")


def _run_duration(result: CriterionResult, m: Moment) -> Live | None:
    """Failed once the time lost so far (not flowing, or down) is more than the run may lose: its tolerance, and
    a pause as long as a restart may take (the stretch since the last sample may still be bridged)."""
    check = result.checks[0]
    ran = check.values.get(WHOLE)
    if ran is None or not finite(ran):
        return None
    slack = RESTART_ALLOWANCE + max(0.0, m.planned - check.threshold)
    if ran + m.remaining + slack < check.threshold:
        return _failed(result, m, [f"ran {ran / 60:.1f} min with {m.remaining / 60:.1f} min to go: cannot reach "
                                   f"{check.threshold / 60:.1f} min"])
    if m.remaining > 0:
        return Live(result.id, WAITING, f"ran {ran / 60:.1f} min so far; judged at the planned end "
                                        f"{clock_time(m.end)}")
    return None


JUDGES: dict[str, Judge] = {
    "connectivity": decided(),
    "health_green": _health_green,
    "no_critical_alerts": decided(),
    "export_rate": _export_rate,
    "harvester_slo": _harvester,
    "resources": decided(),
    "restart_recovery": decided(),
    "shutdown_order": _shutdown_order,
    "run_duration": _run_duration,
}


def assess(result: CriterionResult, m: Moment, warmup: float = 0.0) -> Live:
    """The live state of one criterion judged over ``[m.start, m.now]``."""
    judge = JUDGES.get(result.id)
    found = judge(result, m) if judge else None
    if found and found.state == FAILED:
        return found
    ready = m.start + warmup + _MIN_DATA.get(result.id, 0.0)
    if m.now < ready:
        return Live(result.id, WAITING, f"until {clock_time(ready)}" + (f" (warm-up {warmup:.0f} s)" if warmup else ""))
    if result.status == NO_DATA:
        return _missing(result, m, warmup)
    return found or _now(result)


def _now(result: CriterionResult) -> Live:
    if result.status == PASS:
        return Live(result.id, PASSING, f"so far {measurements(result)}")
    return Live(result.id, AT_RISK, "failing now: " + ("; ".join(breaches(result)) or measurements(result)))


def _missing(result: CriterionResult, m: Moment, warmup: float) -> Live:
    """No data (or too little) so far: failed once the data missing already exceeds what the run may miss (of
    the run after its warm-up, the window the criterion judges; an expected process never seen misses it all)."""
    coverage = min((result.coverage.get(key, 0.0) for key in result.keys), default=0.0)
    missing = (1 - coverage) * (m.elapsed - warmup)
    allowed = (1 - m.min_coverage) * (m.planned - warmup)
    if missing > allowed + _step(m):
        return Live(result.id, FAILED, f"no data for {missing / 60:.1f} min: more than the "
                                       f"{(1 - m.min_coverage):.0%} of the planned run that may lack data")
    return Live(result.id, WAITING, f"no data so far (coverage {coverage:.0%}); failed by "
                                    f"{clock_time(m.now + allowed - missing)} if none comes")


def _step(m: Moment) -> float:
    """Slack for the resolution of coverage: two range-query steps of the planned run's window."""
    return 2 * max(1.0, math.ceil(m.planned / 360))


def assess_all(verdict: Verdict, m: Moment, warmups: dict[str, float] | None = None) -> list[Live]:
    """The live state of every criterion of ``verdict``."""
    return [assess(r, m, (warmups or {}).get(r.id, 0.0)) for r in verdict.results]


