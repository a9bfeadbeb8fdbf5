"""Deterministic soak histories as OpenMetrics (for ``promtool tsdb create-blocks-from openmetrics``).

A history is every soak_* series the verifier reads, sampled every 15 s: five
minutes of lead-in, then the window (60 minutes by default) that ends at
``start + LEAD_IN + window_seconds``. ``build(start, breaks=...)`` breaks exactly one pass
criterion on purpose; ``minutes_present`` cuts the data short for coverage tests.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from soakwatch.contract import PROCESSES, SHUTDOWN_ORDER

INTERVAL = 15
LEAD_IN = 300
LENGTH = LEAD_IN + 3600
MIB = 1024 * 1024
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
_GOOD_CDF = (0.2, 0.5, 0.8, 0.985, 0.998, 1.0, 1.0, 1.0)
_SLOW_CDF = (0.0, 0.02, 0.1, 0.3, 0.6, 0.9, 0.985, 1.0)
_RSS_MB = {"harvest": 150, "signal": 200, "broker": 120, "report": 90}
BREAKABLE = (
    "tick_rate", "parse_gaps", "connectivity", "tick_latency", "health_green", "no_critical_alerts", "export_rate",
    "sink_parity", "harvester_slo", "resources", "memory_growth", "restart_recovery", "shutdown_order",
)
TYPES = {
    "soak_nats_messages": "counter", "soak_nats_bytes": "counter", "soak_nats_parse_errors": "counter",
    "soak_nats_sequence_gaps": "counter", "soak_nats_latency_seconds": "histogram",
    "soak_nats_window_messages_per_second": "gauge", "soak_nats_connected": "gauge",
    "soak_nats_reconnects": "counter", "soak_nats_dropped_messages": "counter",
    "soak_health_checks": "counter", "soak_process_healthy": "gauge", "soak_process_up": "gauge",
    "soak_process_restarts": "counter", "soak_process_restart_downtime_seconds": "gauge",
    "soak_process_start_time_seconds": "gauge", "soak_process_exit_time_seconds": "gauge",
    "soak_process_resident_memory_bytes": "gauge", "soak_process_open_fds": "gauge",
    "soak_process_cpu_seconds": "counter",
    "soak_harvester_queue_dropped": "counter", "soak_harvester_substream_timeouts": "counter",
    "soak_harvester_reconnects": "counter", "soak_harvester_queue_depth": "gauge",
    "soak_harvester_last_update_timestamp_seconds": "gauge",
    "soak_signals": "counter", "soak_signals_confirmed": "counter", "soak_signals_strong": "counter",
    "soak_sink_signals": "counter", "soak_sink_parity_diff_ratio": "gauge",
    "soak_timeseries_exports": "counter", "soak_timeseries_export_errors": "counter",
    "soak_timeseries_last_export_timestamp_seconds": "gauge", "soak_exporter_info": "gauge", "ALERTS": "gauge",
}

Key = tuple[str, tuple[tuple[str, str], ...]]
_EXPORTER_COUNTERS = ("exports", "export_errors", "queue_dropped")


@dataclass(frozen=True)
class Variant:
    """How a run differs from the default one (times in seconds from the history's start).

    ``begin``/``stop``: the pipeline runs (ticks flow, processes up) from ``begin`` until it shuts down at
    ``stop`` (default: 30 s before the end). ``export_period``/``export_phase``/``skip_exports``: the reporter
    exports at ``phase + k * period`` (k >= 1) except at the skipped times. ``late``: a counter's series
    (``queue_dropped``, ``export_errors`` or ``<process>:unhealthy``) first appears at a time with a value.
    ``queue_drops``: ``(time, count)`` the harvester drops. ``exporter_restart``: the soak exporter restarts
    then, and its counters start again from 0. ``harvester_silent_from``: no harvester stats after that time
    (the exporter keeps showing the last totals). ``noise_seed``: random noise (seeded, so reproducible) on
    the tick rate, the share of slow ticks, CPU and RSS, as two runs of one build differ. ``slow_share``: this
    share of the ticks has the slow latency distribution (a lagging build). ``growth``: RSS growth in MB/h per
    process (default 5; a leaking build grows faster).
    ``rate_dip``: ``(from, to, rate)`` ticks flow at only ``rate``
    per second in that stretch.
    """

    begin: int = 0
    stop: int | None = None
    export_period: int = 50
    export_phase: int = 0
    skip_exports: tuple[int, ...] = ()
    late: dict[str, tuple[int, float]] = dataclasses.field(default_factory=dict)
    queue_drops: tuple[tuple[int, int], ...] = ()
    exporter_restart: int | None = None
    harvester_silent_from: int | None = None
    noise_seed: int | None = None
    slow_share: float = 0.0
    growth: dict[str, float] = dataclasses.field(default_factory=dict)
    rate_dip: tuple[int, int, float] | None = None


class History:
    """Samples by (sample name, labels) -> [(t, value)], rendered per metric family."""

    def __init__(self) -> None:
        self.series: dict[Key, list[tuple[float, float]]] = defaultdict(list)

    def add(self, name: str, t: float, value: float, **labels: str) -> None:
        self.series[(name, tuple(sorted(labels.items())))].append((t, value))

    def merge(self, other: History, **labels: str) -> History:
        """Every series of ``other`` added to this history with ``labels`` too (a run's target labels)."""
        for (name, own), points in other.series.items():
            self.series[(name, tuple(sorted({**dict(own), **labels}.items())))].extend(points)
        return self

    def openmetrics(self) -> str:
        """OpenMetrics text with ``# TYPE`` per family and ``# EOF``."""
        lines = []
        for family, kind in TYPES.items():
            keys = sorted(k for k in self.series if _family(k[0]) == family)
            if keys:
                lines.append(f"# TYPE {family} {kind}")
            for name, labels in keys:
                text = _labels(labels)
                lines += [f"{name}{text} {_num(v)} {t:.3f}" for t, v in self.series[name, labels]]
        return "\n".join([*lines, "# EOF"]) + "\n"

    def prometheus_text(self) -> str:
        """Prometheus text lines with millisecond timestamps (VictoriaMetrics ``/api/v1/import/prometheus``)."""
        return "".join(f"{name}{_labels(labels)} {_num(v)} {round(t * 1000)}\n"
                       for (name, labels), points in sorted(self.series.items()) for t, v in points)


def _family(name: str) -> str:
    for suffix in ("_total", "_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in TYPES:
            return name[: -len(suffix)]
    return name


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else ""


def _num(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def build(start: float, breaks: str | None = None, minutes_present: tuple[float, float] | None = None,
          history: History | None = None, window_seconds: int = 3600, variant: Variant | None = None) -> History:
    """One run starting at ``start`` (lead-in, then the window); ``breaks`` names the criterion to violate."""
    if breaks is not None and breaks not in BREAKABLE:
        raise ValueError(f"breaks must be one of {', '.join(BREAKABLE)}, got {breaks!r}")
    h = history if history is not None else History()
    length = LEAD_IN + window_seconds
    first, last = (minutes_present[0] * 60, minutes_present[1] * 60) if minutes_present else (0, length)
    sim = _Run(start, breaks, length, variant or Variant())
    for step in range(length // INTERVAL + 1):
        rel = step * INTERVAL
        sim.advance(rel)
        if first <= rel <= last:
            sim.emit(h, start + rel, rel)
    return h


class _Run:
    """The state of one simulated run, advanced in 15 s steps."""

    def __init__(self, start: float, breaks: str | None, length: int, variant: Variant) -> None:
        self.start, self.breaks, self.v = start, breaks, variant
        self.rng = random.Random(variant.noise_seed) if variant.noise_seed is not None else None
        self.c: dict[str, float] = defaultdict(float)
        self.offset: dict[str, float] = defaultdict(float)
        self.restart_at = LEAD_IN + 1800
        self.downtime = 20.0 if breaks == "restart_recovery" else 4.0
        order = list(SHUTDOWN_ORDER)
        if breaks == "shutdown_order":
            order.reverse()
        stop = variant.stop if variant.stop is not None else length - 30
        self.exit_at = {p: stop + 2 * i for i, p in enumerate(order)}

    def advance(self, rel: float) -> None:
        if rel == 0:
            return
        c, b, dt = self.c, self.breaks, INTERVAL
        rate = (3000.0 if b == "tick_rate" else 6000.0) * (1 + 0.03 * math.sin(rel / 300))
        rate *= self.jitter(0.02) if self.alive("harvest", rel - dt) else 0
        dip = self.v.rate_dip
        rate = dip[2] if dip and dip[0] < rel <= dip[1] else rate
        self._latency(rate * dt)
        c["parse_errors"] += rate * dt * (0.005 if b == "parse_gaps" else 0.0001)
        c["reconnects"] += 1 if b == "connectivity" and rel == LEAD_IN + 1200 else 0
        c["signals"] += 2 * dt
        c["harvest_reconnects"] += 1 if rel == LEAD_IN + 2400 else 0
        c["queue_dropped"] += 5 if b == "harvester_slo" and rel == LEAD_IN + 2700 else 0
        c["queue_dropped"] += sum(n for at, n in self.v.queue_drops if at == rel)
        c["messages"] += rate * dt
        c["exports"] = len(self.export_times(rel))
        c["export_errors"] += 1 if b == "export_rate" and rel % 900 == 0 else 0
        for p in PROCESSES:
            heartbeats = 0 if not self.alive(p, rel) else dt / 10
            unhealthy = heartbeats * 0.1 if b == "health_green" and p == "broker" else 0.0
            degraded = 1.0 if p == "signal" and rel == LEAD_IN + 600 else 0.0
            c[f"{p}:unhealthy"] += unhealthy
            c[f"{p}:degraded"] += degraded
            c[f"{p}:healthy"] += heartbeats - unhealthy - degraded
            c[f"{p}:cpu"] += 0.05 * dt * self.jitter(0.1) if self.alive(p, rel) else 0.0
        for key, (at, value) in self.v.late.items():
            c[key] += value if rel == at else 0
        if rel == self.v.exporter_restart:
            self.offset.update({k: c[k] for k in (*_EXPORTER_COUNTERS, *(k for k in c if ":" in k))})

    def jitter(self, sd: float) -> float:
        """A noise factor around 1 (exactly 1 without a noise seed)."""
        return 1.0 + self.rng.gauss(0.0, sd) if self.rng else 1.0

    def _latency(self, ticks: float) -> None:
        """Count ``ticks`` into the latency buckets: a mix of the good and the slow distribution."""
        slow = self.v.slow_share + (self.rng.uniform(0.0, 0.01) if self.rng else 0.0)
        slow = 1.0 if self.breaks == "tick_latency" else min(1.0, slow)
        for i, (good, bad) in enumerate(zip(_GOOD_CDF, _SLOW_CDF, strict=True)):
            self.c[f"le:{i}"] += ticks * ((1 - slow) * good + slow * bad)
        self.c["latency_sum"] += ticks * ((1 - slow) * 0.0015 + slow * 0.012)

    def export_times(self, rel: float) -> list[int]:
        v = self.v
        return [t for t in range(v.export_phase + v.export_period, int(rel) + 1, v.export_period)
                if t not in v.skip_exports]

    def counter(self, h: History, name: str, key: str, t: float, rel: float, **labels: str) -> None:
        """A counter of the soak exporter: absent before its ``late`` time, from 0 after an exporter restart."""
        if key in self.v.late and rel < self.v.late[key][0]:
            return
        h.add(name, t, round(self.c[key] - self.offset[key], 3), **labels)

    def alive(self, process: str, rel: float) -> bool:
        if rel >= self.exit_at[process] or rel < self.v.begin:
            return False
        return not (process == "signal" and self.restart_at <= rel < self.restart_at + self.downtime)

    def emit(self, h: History, t: float, rel: float) -> None:
        self._probe(h, t, rel)
        for p in PROCESSES:
            self._process(h, t, rel, p)
        self._pipeline(h, t, rel)

    def _probe(self, h: History, t: float, rel: float) -> None:
        c, b = self.c, self.breaks
        h.add("soak_nats_messages_total", t, round(c["messages"]))
        h.add("soak_nats_bytes_total", t, round(c["messages"]) * 100)
        h.add("soak_nats_parse_errors_total", t, round(c["parse_errors"]), reason="bad_json")
        h.add("soak_nats_sequence_gaps_total", t, 0)
        h.add("soak_nats_reconnects_total", t, c["reconnects"])
        h.add("soak_nats_dropped_messages_total", t, 0)
        down = b == "connectivity" and LEAD_IN + 1140 <= rel < LEAD_IN + 1200
        h.add("soak_nats_connected", t, 0 if down else 1)
        h.add("soak_nats_window_messages_per_second", t, 6000)
        count = round(c["messages"])
        for i, le in enumerate(BUCKETS):
            h.add("soak_nats_latency_seconds_bucket", t, min(count, round(c[f"le:{i}"])), le=str(le))
        h.add("soak_nats_latency_seconds_bucket", t, count, le="+Inf")
        h.add("soak_nats_latency_seconds_sum", t, round(c["latency_sum"], 6))
        h.add("soak_nats_latency_seconds_count", t, count)
        h.add("soak_exporter_info", t, 1, exporter="probe", version="0.1.0")

    def _process(self, h: History, t: float, rel: float, p: str) -> None:
        c, b = self.c, self.breaks
        late = f"{p}:unhealthy" in self.v.late
        for status in ("healthy", "degraded") + (("unhealthy",) if c[f"{p}:unhealthy"] or late else ()):
            self.counter(h, "soak_health_checks_total", f"{p}:{status}", t, rel, process=p, status=status)
        restarted = p == "signal" and rel >= self.restart_at
        back = p == "signal" and rel >= self.restart_at + self.downtime
        h.add("soak_process_restarts_total", t, 1 if restarted else 0, process=p)
        h.add("soak_process_restart_downtime_seconds", t, self.downtime if back else 0, process=p)
        h.add("soak_process_start_time_seconds", t, self.start - 60 + (self.restart_at + self.downtime + 60
                                                                       if back else 0), process=p)
        exit_time = self.exit_at[p] if rel >= self.exit_at[p] else (self.restart_at if restarted else None)
        if exit_time is not None:
            h.add("soak_process_exit_time_seconds", t, self.start + exit_time, process=p)
        alive = self.alive(p, rel)
        h.add("soak_process_up", t, 1 if alive else 0, process=p)
        h.add("soak_process_healthy", t, 1 if alive else 0, process=p)
        if rel >= self.exit_at[p] or rel < self.v.begin:
            return
        growth = self.v.growth.get(p, 120 if b == "memory_growth" and p == "broker" else 5)
        noise = self.rng.gauss(0.0, 0.2) if self.rng else 0.0
        rss = (_RSS_MB[p] + growth * rel / 3600 + 2 * math.sin(rel / 120) + noise) * MIB
        h.add("soak_process_resident_memory_bytes", t, round(rss), process=p)
        h.add("soak_process_cpu_seconds_total", t, round(c[f"{p}:cpu"], 3), process=p)
        h.add("soak_process_open_fds", t, 300 if b == "resources" and p == "report" else 40 + len(p), process=p)

    def _pipeline(self, h: History, t: float, rel: float) -> None:
        c, b = self.c, self.breaks
        self.counter(h, "soak_harvester_queue_dropped_total", "queue_dropped", t, rel)
        h.add("soak_harvester_substream_timeouts_total", t, 0)
        h.add("soak_harvester_reconnects_total", t, c["harvest_reconnects"])
        h.add("soak_harvester_queue_depth", t, 12)
        silent = self.v.harvester_silent_from
        h.add("soak_harvester_last_update_timestamp_seconds", t, t if silent is None or rel < silent
              else self.start + silent)
        total = c["signals"]
        h.add("soak_signals_total", t, total)
        h.add("soak_signals_confirmed_total", t, total // 2)
        h.add("soak_signals_strong_total", t, total // 5)
        lag = 0.97 if b == "sink_parity" else 1.0
        for sink, share in (("jsonl", 1.0), ("sqlite", lag)):
            for kind, part in (("total", 1.0), ("confirm", 0.5), ("strong", 0.2)):
                h.add("soak_sink_signals_total", t, math.floor(total * part * share), sink=sink, kind=kind)
        for field in ("total", "confirm", "strong_ratio"):
            h.add("soak_sink_parity_diff_ratio", t, round(1 - lag, 4) if field != "strong_ratio" else 0, field=field)
        self.counter(h, "soak_timeseries_exports_total", "exports", t, rel, backend="prometheus")
        self.counter(h, "soak_timeseries_export_errors_total", "export_errors", t, rel, backend="prometheus")
        last = ([self.v.export_phase, *self.export_times(rel)])[-1]
        h.add("soak_timeseries_last_export_timestamp_seconds", t, self.start + last, backend="prometheus")
        h.add("soak_exporter_info", t, 1, exporter="soak", version="0.1.0")
        if LEAD_IN + 1800 <= rel <= LEAD_IN + 1860:
            h.add("ALERTS", t, 1, alertname="SoakProcessRestarted", alertstate="firing", severity="warning",
                  process="signal")
        if b == "no_critical_alerts" and LEAD_IN + 3000 <= rel <= LEAD_IN + 3180:
            h.add("ALERTS", t, 1, alertname="SoakSignalsStalled", alertstate="firing", severity="critical")
