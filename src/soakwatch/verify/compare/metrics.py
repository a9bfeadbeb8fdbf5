"""The metrics ``verify-soak compare`` judges by default: PromQL per sample step, direction, statistic, unit."""

from __future__ import annotations

from dataclasses import dataclass

HIGHER, LOWER = "higher", "lower"
MEDIAN, MEAN = "median", "mean"
STEP = "$interval"  # replaced by the sample step (``60s``) in every query; also the range of rate() and friends
STEP_SECONDS = "$interval_seconds"
MIB = 1024.0 * 1024.0
DEFAULT_STEP = 60.0  # seconds: one sample per minute


@dataclass(frozen=True)
class Metric:
    """One compared metric: one sample per step and key (process, or ``""`` for the whole run).

    ``better`` is the good direction; ``stat`` the statistic whose relative change is held against
    ``tolerance``; a change smaller than ``min_change`` (absolute, in ``unit``'s base unit) never counts.
    """

    name: str
    query: str
    better: str
    unit: str
    description: str
    per_process: bool = False
    stat: str = MEDIAN
    tolerance: float | None = None  # None: the file's (or the built-in) default tolerance
    min_change: float = 0.0

    def render(self, step: float) -> str:
        return self.query.replace(STEP_SECONDS, f"{step:g}").replace(STEP, f"{step:g}s")


def increase(counter: str, by: str = "") -> str:
    """A counter's increase in the step: its value at the step's end minus that one step earlier, per series (a
    reset counts as 0), summed. Unlike ``increase(...[$interval])`` it is exact: the steps tile the window, and it
    has no bias from where the scrapes fall in a step (the extrapolation of ``rate`` over a few scrapes gave one
    run 9 and another 12 signals/s for the same 10/s)."""
    return f"sum{f' by ({by})' if by else ''} (clamp_min({counter} - {counter} offset {STEP}, 0))"


def _quantile(q: float) -> str:
    return f"histogram_quantile({q}, {increase('soak_nats_latency_seconds_bucket', 'le')})"


DEFAULTS: tuple[Metric, ...] = (
    Metric("tick_rate", f"{increase('soak_nats_messages_total')} / {STEP_SECONDS}", HIGHER, "msgs/s",
           "ticks per second received by the probe", stat=MEAN),
    Metric("tick_latency_p50", _quantile(0.5), LOWER, "seconds", "median tick latency", min_change=0.0005),
    Metric("tick_latency_p99", _quantile(0.99), LOWER, "seconds", "99th percentile tick latency", min_change=0.001),
    Metric("rss", f"max by (process) (max_over_time(soak_process_resident_memory_bytes[{STEP}]))", LOWER, "bytes",
           "peak resident memory in the step, per process", per_process=True, min_change=4 * MIB),
    Metric("rss_growth", f"max by (process) (deriv(soak_process_resident_memory_bytes[{STEP}])) * 3600", LOWER,
           "bytes/h", "resident memory growth (least-squares slope within the step), per process",
           per_process=True, min_change=10 * MIB),
    Metric("cpu", f"{increase('soak_process_cpu_seconds_total', 'process')} / {STEP_SECONDS}", LOWER, "cores",
           "CPU seconds per second, per process", per_process=True, min_change=0.05),
    Metric("open_fds", f"max by (process) (max_over_time(soak_process_open_fds[{STEP}]))", LOWER, "count",
           "peak open file descriptors in the step, per process", per_process=True, min_change=1.0),
    Metric("signal_rate", f"{increase('soak_signals_total')} / {STEP_SECONDS}", HIGHER, "signals/s",
           "signals per second (fewer: the pipeline lost or stalled work)", stat=MEAN),
    Metric("export_rate", f"{increase('soak_timeseries_exports_total')} * 60 / {STEP_SECONDS}", HIGHER,
           "per_minute", "time-series exports per minute (fewer: the data went stale)", stat=MEAN),
    Metric("restarts", increase("soak_process_restarts_total"), LOWER, "count",
           "process restarts in the step", stat=MEAN),
    Metric("downtime", f"sum((1 - avg_over_time(soak_process_up[{STEP}])) * {STEP_SECONDS})", LOWER, "seconds",
           "seconds processes were down in the step, summed over processes", stat=MEAN, min_change=0.5),
)
