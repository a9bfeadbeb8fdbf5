"""The probe's state: counts and latencies of the tick stream, rolled into window and run reports."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from soakwatch.exporters.probe.latency import LatencyBuffer, LatencyStats, RunHistogram, exact_stats
from soakwatch.exporters.probe.ticks import BAD_TIMESTAMP, MAX_SKEW_NS, PARSE_GAP_REASONS, ParseGap, TickReader

# A sequence number more than this far ahead of the last one, or below it, is a restart of the
# publisher's numbering (a sequence reset), not missing messages.
MAX_SEQUENCE_JUMP = 1_000_000


@dataclass(frozen=True)
class Tally:
    """Cumulative counts at one moment; the difference of two is what happened in between."""

    messages: int = 0
    bytes: int = 0
    parse_gaps: Mapping[str, int] = field(default_factory=dict)
    sequence_gaps: int = 0
    negative_latency: int = 0
    dropped: int = 0
    reconnects: int = 0
    disconnected_seconds: float = 0.0
    sequence_resets: int = 0

    def __sub__(self, other: Tally) -> Tally:
        gaps = {reason: self.parse_gaps.get(reason, 0) - other.parse_gaps.get(reason, 0)
                for reason in PARSE_GAP_REASONS}
        return Tally(self.messages - other.messages, self.bytes - other.bytes, gaps,
                     self.sequence_gaps - other.sequence_gaps, self.negative_latency - other.negative_latency,
                     self.dropped - other.dropped, self.reconnects - other.reconnects,
                     self.disconnected_seconds - other.disconnected_seconds,
                     self.sequence_resets - other.sequence_resets)


@dataclass(frozen=True)
class Report:
    """One window line (``probe_window``) or the run summary (``probe_summary``)."""

    event: str
    window_seconds: float
    mps_window: float
    latency: LatencyStats
    total: int
    counts: Tally
    connected: bool
    pass_bar: dict[str, Any] | None = None  # the runbook's bar, judged on the summary

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of FORMATS.md plus the gap, drop and connection counts."""
        gaps = dict(self.counts.parse_gaps)
        return {
            "event": self.event,
            "window_seconds": round(self.window_seconds, 3),
            "mps_window": round(self.mps_window, 1),
            "latency_ms": self.latency.as_ms(),
            "total": self.total,
            "messages": self.counts.messages,
            "parse_gaps": sum(gaps.values()),
            "parse_gaps_by_reason": gaps,
            "parse_gap_ratio": round(sum(gaps.values()) / self.counts.messages, 6) if self.counts.messages else 0.0,
            "sequence_gaps": self.counts.sequence_gaps,
            "sequence_resets": self.counts.sequence_resets,
            "negative_latency": self.counts.negative_latency,
            "dropped": self.counts.dropped,
            "reconnects": self.counts.reconnects,
            "disconnected_seconds": round(self.counts.disconnected_seconds, 3),
            "connected": self.connected,
            **({"pass_bar": self.pass_bar} if self.pass_bar is not None else {}),
        }


class Probe:
    """Counts ticks and their latency; ``record`` is the hot path, the rest runs once per window."""

    def __init__(self, reader: TickReader, clock_ns: Callable[[], int] = time.time_ns,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.reader = reader
        self._clock_ns = clock_ns
        self._monotonic = monotonic
        self.messages = 0
        self.bytes = 0
        self.parse_gaps: Counter[str] = Counter({reason: 0 for reason in PARSE_GAP_REASONS})
        self.sequence_gaps = 0
        self.sequence_resets = 0
        self.negative_latency = 0
        self.dropped = 0
        self.reconnects = 0
        self.connected = False
        self.closing = False  # set on a clean stop: the disconnect that follows is not an outage
        self._disconnected_total = 0.0
        self._disconnected_since: float | None = None
        self._last_seq: dict[Any, int] = {}
        self.buffer = LatencyBuffer()
        self.run = RunHistogram()
        self.window_mps = 0.0
        self.window_latency = LatencyStats(0)
        self._started = monotonic()
        self._window_start = self._started
        self._window_tally = Tally()
        self._first_ns: int | None = None
        self._last_ns = 0

    def record(self, subject: Any, data: bytes, headers: bytes | Mapping[str, str] | None) -> None:
        """Account for one message; never raises on bad input."""
        now = self._clock_ns()
        self.messages += 1
        self.bytes += len(data)
        if self._first_ns is None:
            self._first_ns = now
        self._last_ns = now
        try:
            event_ns, seq = self.reader.read(data, headers)
        except ParseGap as gap:
            self.parse_gaps[gap.reason] += 1
            return
        latency = now - event_ns
        if latency > MAX_SKEW_NS or latency < -MAX_SKEW_NS:
            self.parse_gaps[BAD_TIMESTAMP] += 1
            return
        if seq is not None:
            self._check_sequence(subject, seq)
        if latency < 0:
            self.negative_latency += 1
            return
        self.buffer.values.append(latency)

    def _check_sequence(self, subject: Any, seq: int) -> None:
        """Gaps between consecutive numbers; a repeat is ignored; a jump back or too far ahead is a reset."""
        last = self._last_seq.get(subject)
        if last is None or seq == last + 1:
            self._last_seq[subject] = seq
        elif last + 1 < seq <= last + MAX_SEQUENCE_JUMP:
            self.sequence_gaps += seq - last - 1
            self._last_seq[subject] = seq
        elif seq != last:
            self.sequence_resets += 1
            self._last_seq[subject] = seq

    def count_dropped(self, messages: int = 1) -> None:
        self.dropped += messages

    def set_connected(self, connected: bool) -> None:
        """Track connection state and the time spent disconnected."""
        if self.closing:
            return
        now = self._monotonic()
        if not connected and self._disconnected_since is None:
            self._disconnected_since = now
        elif connected and self._disconnected_since is not None:
            self._disconnected_total += now - self._disconnected_since
            self._disconnected_since = None
        self.connected = connected

    def count_reconnect(self) -> None:
        self.reconnects += 1
        self.set_connected(True)

    def disconnected_seconds(self) -> float:
        ongoing = self._monotonic() - self._disconnected_since if self._disconnected_since is not None else 0.0
        return self._disconnected_total + ongoing

    def tally(self) -> Tally:
        return Tally(self.messages, self.bytes, dict(self.parse_gaps), self.sequence_gaps, self.negative_latency,
                     self.dropped, self.reconnects, self.disconnected_seconds(), self.sequence_resets)

    def fold(self) -> None:
        """Move the latencies recorded since the last fold into the run histogram."""
        self.run.add(self.buffer.unfolded())

    def roll_window(self) -> Report:
        """Close the current window and report it (exact quantiles over the window)."""
        self.fold()
        now = self._monotonic()
        elapsed = max(now - self._window_start, 1e-9)
        tally = self.tally()
        counts = tally - self._window_tally
        self.window_latency = exact_stats(self.buffer.take_window())
        self.window_mps = counts.messages / elapsed
        self._window_start, self._window_tally = now, tally
        return Report("probe_window", elapsed, self.window_mps, self.window_latency, self.messages, counts,
                      self.connected)

    def window_has_messages(self) -> bool:
        return self.messages > self._window_tally.messages

    def summary(self) -> Report:
        """The whole run; the rate is over the span from the first to the last message received."""
        self.fold()
        return Report("probe_summary", self._monotonic() - self._started, self.mean_rate(), self.run.stats(),
                      self.messages, self.tally(), self.connected)

    def mean_rate(self) -> float:
        if self._first_ns is None or self.messages < 2 or self._last_ns <= self._first_ns:
            return 0.0
        return (self.messages - 1) / ((self._last_ns - self._first_ns) / 1e9)
