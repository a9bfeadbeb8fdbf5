"""The four live states of a criterion, and the moment of the run they are judged at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PASSING, AT_RISK, FAILED, WAITING = "passing", "at_risk", "failed", "waiting"
STATES = (PASSING, AT_RISK, FAILED, WAITING)


@dataclass(frozen=True)
class Live:
    """A criterion's live state with its reason; ``budget`` is the share of its allowance left, where it has one."""

    criterion: str
    state: str
    reason: str
    budget: float | None = None


@dataclass(frozen=True)
class Moment:
    """Where the run stands: its start, the evaluation time, its planned end (unix seconds)."""

    start: float
    now: float
    end: float
    min_coverage: float = 0.9
    strict: bool = False

    @property
    def elapsed(self) -> float:
        return self.now - self.start

    @property
    def planned(self) -> float:
        return self.end - self.start

    @property
    def remaining(self) -> float:
        return max(0.0, self.end - self.now)


def clock_time(ts: float) -> str:
    """``14:03:20Z``: a time of the run as a log line shows it."""
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%SZ")
