"""SIGINT/SIGTERM while evidence is written: the first one is noted and the work goes on, a second one aborts."""

from __future__ import annotations

import signal
import sys
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_code(signum: int) -> int:
    """The shell's code for a process ended by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


class DeferredInterrupts:
    """``with DeferredInterrupts(note) as it:`` ... ``it.signum`` is the first signal seen (None: none)."""

    def __init__(self, note: str) -> None:
        self.note = note
        self.signum: int | None = None
        self._before: dict[int, Any] = {}

    def __enter__(self) -> DeferredInterrupts:
        for sig in SIGNALS:
            self._before[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        print(self.note, file=sys.stderr, flush=True)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for sig, handler in self._before.items():
            signal.signal(sig, handler)
