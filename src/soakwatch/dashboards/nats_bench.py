"""The NATS bench dashboard: the last pushed run of each `soakwatch bench` mode, and how runs changed over time.

`soakwatch bench ... --push-gateway URL` pushes soak_bench_* gauges (job
soak_bench, grouping label mode) that stay on the Pushgateway until the next
push of that mode, so a time series steps at each run. No pass bar is drawn:
bench figures are compared with a baseline by `soakwatch bench compare`.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard

from soakwatch.bench.push import PUSH_JOB
from soakwatch.bench.stats import SUMMARY_KEYS
from soakwatch.dashboards.panels import (
    NO_STEPS,
    Filter,
    choice_variable,
    new_dashboard,
    queries,
    selector,
    stat,
    timeseries,
    with_rows,
    with_variables,
)
from soakwatch.dashboards.thresholds import Limits

UID = "soakwatch-nats-bench"
JOB = f'job="{PUSH_JOB}"'
MODE = Filter("mode", "Mode", "soak_bench_info", (JOB,))
STAT = "stat"
NOT_PUSHED = "no bench pushed yet: soakwatch bench ... --push-gateway URL"


def _figure(metric: str, *fixed: str) -> str:
    """A per-repeat figure of the selected modes, summarised across repeats by the selected statistic."""
    return selector(metric, MODE, fixed=(JOB, f'{STAT}="${STAT}"', *fixed))


def _last(title: str, description: str, unit: str, expr: str, legend: str):
    return stat(title, description, unit, queries((expr, legend), instant=True), NO_STEPS,
                height=5).no_value(NOT_PUSHED)


def _history(title: str, description: str, unit: str, *pairs: tuple[str, str], width: int = 12):
    return timeseries(title, description, unit, queries(*pairs), width=width).no_value(NOT_PUSHED)


def pushed():
    return _last("Pushed", "When the shown run of each mode was pushed (the Pushgateway's push time).",
                 "dateTimeFromNow", f"max by (mode) ({selector('push_time_seconds', MODE, fixed=(JOB,))}) * 1000",
                 "{{mode}}")


def last_throughput():
    return _last("Throughput", "Messages received (pubsub), requests answered (request) or publishes acked "
                 "(sync, async) per second in the last run.", "suffix: msg/s",
                 _figure("soak_bench_messages_per_second"), "{{mode}} {{phase}}")


def last_p99():
    return _last("p99 latency", "p99 of publish-to-receive, request round trip or publish-to-ack in the last run.",
                 "s", _figure("soak_bench_latency_seconds", 'quantile="0.99"'), "{{mode}} {{phase}}")


def last_failures():
    return _last("Failed messages", "Messages lost (pubsub), requests or acks timed out, and errors per repeat in "
                 "the last run.", "short", _figure("soak_bench_failed_messages"), "{{mode}} {{phase}} {{reason}}")


def messages_per_second():
    return _history("Messages per second", "Throughput of each run, per phase.", "suffix: msg/s",
                    (_figure("soak_bench_messages_per_second"), "{{mode}} {{phase}}"))


def bytes_per_second():
    return _history("Payload bytes per second", "Payload throughput of each run (pubsub and JetStream).", "binBps",
                    (_figure("soak_bench_bytes_per_second"), "{{mode}} {{phase}}"))


def latency():
    return _history("Latency", "Latency quantiles (0.5, 0.95, 0.99, 0.999, 1) and mean of each run, per phase.", "s",
                    (_figure("soak_bench_latency_seconds"), "{{mode}} {{phase}} q{{quantile}}"),
                    (_figure("soak_bench_latency_mean_seconds"), "{{mode}} {{phase}} mean"), width=24)


def cpu():
    return _history("CPU", "CPU of the bench client and of nats-server during a repeat (1 = one core).",
                    "percentunit", (_figure("soak_bench_cpu_ratio"), "{{mode}} {{process}}"))


def memory():
    peak = selector("soak_bench_peak_resident_memory_bytes", MODE, fixed=(JOB,))
    return _history("Resident memory", "Largest RSS seen during a repeat, and the peak over the whole run, of the "
                    "client and nats-server.", "bytes",
                    (_figure("soak_bench_resident_memory_bytes"), "{{mode}} {{process}}"),
                    (peak, "{{mode}} {{process}} peak"))


ROWS = (
    ("Last run of each mode", (pushed, last_throughput, last_p99, last_failures)),
    ("Runs over time", (messages_per_second, bytes_per_second, latency, cpu, memory)),
)


def build(lim: Limits) -> dashboard.Dashboard:
    """The NATS bench dashboard model (no thresholds: ``lim`` is unused)."""
    board = new_dashboard(
        "NATS bench", UID, ("soakwatch", "bench"), "1m", "now-7d",
        "soakwatch bench results pushed to the Pushgateway (job soak_bench): the last run of each mode and how "
        "runs changed over time; pick the statistic across repeats.")
    board = with_variables(board, MODE.variable(), choice_variable(STAT, "Across repeats", SUMMARY_KEYS, "median"))
    return with_rows(board, [(title, [make() for make in makers]) for title, makers in ROWS]).build()
