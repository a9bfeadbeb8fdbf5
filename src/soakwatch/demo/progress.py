"""The demo's progress: elapsed time, tick rate and faults applied; a live line on a terminal, else periodic lines."""

from __future__ import annotations

import sys
from typing import TextIO

LINE_EVERY_SECONDS = 15.0


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


class Progress:
    """``update()`` as often as you like: a TTY gets the line rewritten in place, a log one line per period."""

    def __init__(self, total_seconds: float, stream: TextIO | None = None, tty: bool | None = None,
                 every: float = LINE_EVERY_SECONDS) -> None:
        self.total = total_seconds
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = every
        self._last_line = -every
        self._last_sent: tuple[float, int] | None = None

    def line(self, elapsed: float, sent: int, faults: list[str], restarts: int) -> str:
        rate = self._rate(elapsed, sent)
        shown = "--" if rate is None else f"{rate:,.0f}"
        applied = ", ".join(faults) if faults else "none"
        return (f"demo {_clock(elapsed)}/{_clock(self.total)}  ticks {shown}/s  restarts {restarts}  "
                f"faults applied: {applied}")

    def _rate(self, elapsed: float, sent: int) -> float | None:
        """Ticks per second since the previous line; None for the first."""
        previous, self._last_sent = self._last_sent, (elapsed, sent)
        if previous is None or elapsed <= previous[0]:
            return None
        return (sent - previous[1]) / (elapsed - previous[0])

    def update(self, elapsed: float, sent: int, faults: list[str], restarts: int) -> None:
        if self.tty:
            self.stream.write("\r" + self.line(elapsed, sent, faults, restarts).ljust(100))
            self.stream.flush()
        elif elapsed - self._last_line >= self.every:
            self._last_line = elapsed
            self.stream.write(self.line(elapsed, sent, faults, restarts) + "\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        """A line of its own (a fault applied, a restart), never overwritten."""
        prefix = "\r" if self.tty else ""
        self.stream.write(f"{prefix}{text}".ljust(100 if self.tty else 0) + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
