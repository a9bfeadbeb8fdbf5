"""``--abort-on-fail`` of the demo: the live verdict watches the run from a thread and stops it at the first
criterion that can no longer pass (the pipeline then stops in its usual order)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from soakwatch.verify.config import default_settings, with_planned
from soakwatch.verify.live.loop import Plan, watch
from soakwatch.verify.promapi import PromClient, PrometheusError

JOIN_TIMEOUT = 10.0


class _Closed(Exception):
    """The run ended first: the watch stops."""


class LiveAbort:
    """Runs ``verify-soak --watch --abort-on-fail`` over the run from its window start in a daemon thread."""

    def __init__(self, prometheus_url: str, every: float, planned_seconds: float, errors: TextIO = sys.stderr) -> None:
        self.url, self.every, self.planned, self.errors = prometheus_url, every, planned_seconds, errors
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, run_start: float, on_fail: Callable[[str], None]) -> None:
        """Watch from ``run_start``; ``on_fail(reason)`` is called (from the thread) when a criterion failed."""
        self._thread = threading.Thread(target=self._watch, args=(run_start, on_fail), name="live-verdict",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT)

    def _sleep(self, seconds: float) -> None:
        if self._closed.wait(seconds):
            raise _Closed

    def _watch(self, run_start: float, on_fail: Callable[[str], None]) -> None:
        settings = with_planned(default_settings(), self.planned, None)
        plan = Plan(run_start, run_start + self.planned, self.every, abort_on_fail=True)
        try:
            outcome = watch(PromClient(self.url), settings, plan, (), sleep=self._sleep)
        except _Closed:
            return
        except PrometheusError as exc:
            self.errors.write(f"demo: note: the live verdict stopped watching ({exc}); the run goes on\n")
            return
        if outcome.aborted:
            on_fail("; ".join(f"{s.criterion} failed ({s.reason})" for s in outcome.last.failed))
