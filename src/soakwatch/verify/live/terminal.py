"""The live state on a terminal: one table redrawn in place on a TTY, one line per change otherwise (CI logs)."""

from __future__ import annotations

from typing import TextIO

from soakwatch.verify.live.loop import Cycle
from soakwatch.verify.live.states import AT_RISK, FAILED, PASSING, WAITING, clock_time

_COLORS = {PASSING: "32", AT_RISK: "33", FAILED: "31", WAITING: "90"}
_LABELS = {PASSING: "passing", AT_RISK: "at risk", FAILED: "FAILED", WAITING: "waiting"}


def table(cycle: Cycle, color: bool = False) -> list[str]:
    """The header line and one line per criterion."""
    m = cycle.moment
    width = max((len(s.criterion) for s in cycle.states), default=9)
    lines = [f"LIVE {clock_time(m.now)}: {m.elapsed / 60:.1f} of {m.planned / 60:.1f} min, "
             f"{m.remaining / 60:.1f} min to go"]
    for s in cycle.states:
        label = _LABELS[s.state].ljust(8)
        if color:
            label = f"\x1b[{_COLORS[s.state]}m{label}\x1b[0m"
        lines.append(f"  {s.criterion.ljust(width)}  {label}  {s.reason}")
    return lines


class Redraw:
    """A TTY: the table drawn over its previous copy."""

    def __init__(self, stream: TextIO, color: bool = False) -> None:
        self.stream, self.color, self._drawn = stream, color, 0

    def show(self, cycle: Cycle) -> None:
        lines = table(cycle, self.color)
        up = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""
        self.stream.write(up + "\n".join(lines) + "\n")
        self.stream.flush()
        self._drawn = len(lines)


class Changes:
    """A log: one line whenever a criterion's state changes (the first cycle shows every criterion)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last: dict[str, str] = {}

    def show(self, cycle: Cycle) -> None:
        at = clock_time(cycle.moment.now)
        for s in cycle.states:
            if self._last.get(s.criterion) != s.state:
                self.stream.write(f"{at} {s.criterion}: {_LABELS[s.state]}: {s.reason}\n")
                self._last[s.criterion] = s.state
        self.stream.flush()


def display(stream: TextIO, tty: bool, color: bool) -> Redraw | Changes:
    return Redraw(stream, color) if tty else Changes(stream)
