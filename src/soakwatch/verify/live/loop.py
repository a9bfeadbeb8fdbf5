"""The watch loop: every cycle, the verdict over the run so far and each criterion's live state, until the end.

Time comes in through ``clock`` and ``sleep`` (a test drives the loop over a recorded history with a fake clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from soakwatch.verify import engine
from soakwatch.verify.config import Settings
from soakwatch.verify.engine import Verdict
from soakwatch.verify.live.judges import assess_all
from soakwatch.verify.live.states import FAILED, WAITING, Live, Moment, clock_time
from soakwatch.verify.promapi import PromClient
from soakwatch.verify.querier import QueryLog
from soakwatch.verify.window import Window

MIN_WINDOW = 30.0  # before this much of the run has passed, every criterion waits


@dataclass(frozen=True)
class Plan:
    """The run the loop watches: its start and planned end (unix seconds), the cycle, and whether to stop early."""

    start: float
    end: float
    every: float = 30.0
    abort_on_fail: bool = False
    strict: bool = False
    settle: float = 0.0  # seconds after the planned end that the final window adds: the run's last samples
    lag: float = 0.0  # seconds the final verdict then waits, so the samples up to the window's end are scraped

    @property
    def final_end(self) -> float:
        """The end of the final verdict's window: the planned end and the settle time after it (the run's last
        samples and its shutdown are inside, so a run that lasted its planned length can measure it)."""
        return self.end + self.settle


@dataclass
class Cycle:
    """One evaluation: the moment, the verdict over the run so far (None while too short) and every live state."""

    moment: Moment
    states: list[Live]
    verdict: Verdict | None = None
    log: QueryLog = field(default_factory=QueryLog)

    @property
    def failed(self) -> list[Live]:
        return [s for s in self.states if s.state == FAILED]


class Sink(Protocol):
    """Where each cycle goes: the terminal, the Pushgateway, the live report."""

    def show(self, cycle: Cycle) -> None: ...


@dataclass
class Outcome:
    """How the watch ended: at ``end``; ``last`` is the final cycle (its failures when it stopped early)."""

    end: float
    last: Cycle
    aborted: bool = False
    interrupted: bool = False


def evaluate(client: PromClient, settings: Settings, plan: Plan, now: float) -> Cycle:
    """The live state of every criterion over ``[plan.start, now]``."""
    moment = Moment(plan.start, min(now, plan.end), plan.end, settings.min_coverage, plan.strict)
    if moment.elapsed < MIN_WINDOW:
        reason = f"until {clock_time(plan.start + MIN_WINDOW)} (the run has barely started)"
        return Cycle(moment, [Live(c.id, WAITING, reason) for c in settings.criteria])
    log = QueryLog()
    verdict = engine.run(client, Window(plan.start, moment.now), settings, log, strict=plan.strict)
    return Cycle(moment, assess_all(verdict, moment, settings.warmups), verdict, log)


def watch(client: PromClient, settings: Settings, plan: Plan, sinks: Sequence[Sink],
          clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Evaluate every ``plan.every`` seconds until the planned end, a decided failure (with ``abort_on_fail``)
    or Ctrl-C."""
    cycle: Cycle | None = None
    try:
        while True:
            now = clock()
            cycle = evaluate(client, settings, plan, now)
            for sink in sinks:
                sink.show(cycle)
            if plan.abort_on_fail and cycle.failed:
                return Outcome(cycle.moment.now, cycle, aborted=True)
            if now >= plan.end:
                sleep(max(0.0, plan.final_end + plan.lag - clock()))
                return Outcome(plan.final_end, cycle)
            sleep(max(0.0, min(plan.every, plan.end - now)))
    except KeyboardInterrupt:
        end = min(clock(), plan.end)
        return Outcome(end, cycle or Cycle(Moment(plan.start, end, plan.end), []), interrupted=True)
