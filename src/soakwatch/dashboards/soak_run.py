"""The soak-run dashboard: one row per concern of a soak, each panel drawn against its alert's or criterion's limit.

Thresholds come from prometheus/thresholds.yml (``lim.value``) or, where no
alert uses one, from verify-soak's criteria (``lim.criterion``); windows are
those of the alert's recording rule or the criterion's plot, named below.
"""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard

from soakwatch.dashboards.panels import (
    BAD,
    NO_STEPS,
    PROCESS,
    RUN_FILTERS,
    WARN,
    above_is_bad,
    alerts_annotation,
    below_is_bad,
    more_than_is_bad,
    new_dashboard,
    queries,
    run_variables,
    selector,
    series,
    stat,
    timeseries,
    with_rows,
    with_variables,
)
from soakwatch.dashboards.thresholds import Limits

UID = "soakwatch-soak-run"
MIB = 2**20
RATE = "$__rate_interval"

# Windows of the alerts' recording rules (prometheus/rules.in) and of the criteria's plots (verify/criteria).
TICK_RATE_WINDOW = "1m"  # SoakTickRateLow: job:soak_nats_messages:rate1m
TICK_WINDOW = "5m"  # SoakTickParseGapsHigh, SoakTickLatencyHigh: *:ratio_rate5m, *:p99_rate5m
LOW_CONSISTENCY_WINDOW = "1m"  # SoakLowConsistencyHigh: job:soak_signals_low_consistency:ratio_rate1m
STRONG_RATIO_WINDOW, STRONG_BASELINE_WINDOW = "5m", "1h"  # SoakStrongRatioCollapse: ratio_rate5m vs ratio_rate1h
MEMORY_GROWTH_WINDOW = "15m"  # the memory_growth criterion's plot: deriv(...[15m]) * 3600
REPORT_JOB = 'job="soak_report"'  # the pipeline's reporter pushes to the Pushgateway as this job
EXPORT_RATE_WINDOW = "5m"  # exports once a minute: a 5m rate does not flicker between 0 and 2 per minute

# Firing soak alerts of the shown run by severity: the critical selector is the no_critical_alerts criterion's.
SOAK_ALERTS = ('alertstate="firing"', 'alertname=~"Soak.*"', 'alertname!="SoakVerdictFailed"')
CRITICAL_ALERTS = selector("ALERTS", *RUN_FILTERS, fixed=(*SOAK_ALERTS, 'severity="critical"'))
WARNING_ALERTS = selector("ALERTS", *RUN_FILTERS, fixed=(*SOAK_ALERTS, 'severity="warning"'))

Panel = Callable[[Limits], cogbuilder.Builder[dashboard.Panel]]


def _sum_rate(metric: str, window: str = RATE, by: str = "", fixed: tuple[str, ...] = ()) -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping}(rate({series(metric, fixed=fixed)}[{window}]))"


def _share(part: str, whole: str, window: str) -> str:
    return f"sum(increase({series(part)}[{window}])) / sum(increase({series(whole)}[{window}]))"


# --- soak alerts -------------------------------------------------------------------------------------------------

def critical_alerts(lim: Limits):
    return stat(
        "Critical alerts firing", "Critical soak alerts firing now (every SoakX alert with severity=critical, "
        "including the SLO alerts); any of them fails the no_critical_alerts criterion. Names are annotations.",
        "short", queries((f"count({CRITICAL_ALERTS}) or vector(0)", "critical")),
        more_than_is_bad(lim.criterion("no_critical_alerts", "firing")), width=12, height=4)


def warning_alerts(lim: Limits):
    return stat(
        "Warning alerts firing", "Warning soak alerts firing now (severity=warning); they do not fail the verdict "
        "by themselves but each follows a pass criterion. Names are annotations.", "short",
        queries((f"count({WARNING_ALERTS}) or vector(0)", "warning")), more_than_is_bad(0, WARN), width=12, height=4)


# --- tick stream -------------------------------------------------------------------------------------------------

def tick_rate(lim: Limits):
    limit = lim.value("tick_rate_min")
    return timeseries(
        "Tick rate", f"Messages per second seen by the probes over {TICK_RATE_WINDOW} (as SoakTickRateLow "
        f"judges it); the pass line is {limit:,.0f} msgs/s.", "suffix: msg/s",
        queries((_sum_rate("soak_nats_messages_total", TICK_RATE_WINDOW), "rate"),
                (f"sum({series('soak_nats_window_messages_per_second')})", "last window")),
        below_is_bad(limit))


def tick_latency(lim: Limits):
    limit = lim.value("tick_latency_p99_max")

    def quantile(q: str) -> tuple[str, str]:
        return (f"histogram_quantile({q}, {_sum_rate('soak_nats_latency_seconds_bucket', TICK_WINDOW, 'le')})",
                f"p{q[2:]}")

    return timeseries(
        "Tick latency p50 / p90 / p99", f"Receive time minus event time from the probes' histogram over "
        f"{TICK_WINDOW} (summed over replicas, as SoakTickLatencyHigh judges it); p99 must stay under "
        f"{limit * 1000:g} ms.", "s",
        queries(quantile("0.50"), quantile("0.90"), quantile("0.99")), above_is_bad(limit))


def parse_gaps(lim: Limits):
    limit = lim.value("parse_gap_ratio_max")
    messages = _sum_rate("soak_nats_messages_total", TICK_WINDOW)
    return timeseries(
        "Parse-gap ratio", f"Parse errors (bad JSON, missing or bad timestamp) per message over {TICK_WINDOW}; "
        f"pass under {limit:.1%}. Sequence gaps are messages missing by sequence number.", "percentunit",
        queries((f"{_sum_rate('soak_nats_parse_errors_total', TICK_WINDOW)} / {messages}", "parse errors"),
                (f"{_sum_rate('soak_nats_sequence_gaps_total', TICK_WINDOW)} / {messages}", "sequence gaps")),
        above_is_bad(limit))


def probe_connectivity(lim: Limits):
    return timeseries(
        "Probe drops and reconnects", "Run totals of the messages the NATS client dropped because the probe fell "
        "behind, and of its reconnects; a passing soak has none of either (SoakProbeDroppingMessages fires on the "
        "first drop).", "short",
        queries((f"sum({series('soak_nats_dropped_messages_total')})", "dropped"),
                (f"sum({series('soak_nats_reconnects_total')})", "reconnects")),
        more_than_is_bad(lim.value("probe_dropped_messages_max")), width=8)


def probe_connected(lim: Limits):
    return stat(
        "Probe connected", f"1 while every probe is connected to NATS; SoakProbeDisconnected fires after "
        f"{lim.value('probe_disconnected_for'):g} s at 0.", "bool_yes_no",
        queries((f"min({series('soak_nats_connected')})", "connected")), below_is_bad(1), width=4, height=8,
        calc="min")


# --- processes ---------------------------------------------------------------------------------------------------

def health_green(lim: Limits):
    limit = lim.criterion("health_green", "healthy_ratio")
    healthy = 'status="healthy"'

    def checks(*status: str) -> str:
        return f"sum by (process) (increase({series('soak_health_checks_total', PROCESS, fixed=status)}[$__range]))"

    return stat(
        "Health green %", f"Healthy heartbeats over all heartbeats in the time range, per process (0 for a process "
        f"that sent none healthy); pass at {limit:.0%} (health_green).", "percentunit",
        queries((f"({checks(healthy)} or 0 * {checks()}) / {checks()}", "{{process}}"), instant=True),
        below_is_bad(limit), width=8, height=8)


def process_up(lim: Limits):
    return timeseries(
        "Process up", f"1 while a process of the pipeline runs (matched by name or command line); SoakProcessDown "
        f"fires after {lim.value('process_down_for'):g} s at 0.", "short",
        queries((series("soak_process_up", PROCESS), "{{process}}"),
                (series("soak_process_healthy", PROCESS), "{{process}} healthy")),
        below_is_bad(1), width=8)


def restarts(lim: Limits):
    limit = lim.criterion("restart_recovery", "downtime")
    return timeseries(
        "Restarts and downtime", f"Restarts per process and the downtime of the latest one; every restart must be "
        f"back within {limit:g} s (restart_recovery).", "s",
        queries((series("soak_process_restart_downtime_seconds", PROCESS), "{{process}} downtime"),
                (f"sum by (process) ({series('soak_process_restarts_total', PROCESS)})", "{{process}} restarts")),
        above_is_bad(limit), width=8)


def resident_memory(lim: Limits):
    limit = lim.value("process_rss_max_bytes")
    return timeseries(
        "Resident memory", f"RSS per process against the {limit / MIB:g} MiB limit (SoakProcessMemoryHigh).",
        "bytes", queries((series("soak_process_resident_memory_bytes", PROCESS), "{{process}}")),
        above_is_bad(limit), width=8)


def memory_growth(lim: Limits):
    limit = lim.criterion("memory_growth", "growth")
    slope = f"deriv({series('soak_process_resident_memory_bytes', PROCESS)}[{MEMORY_GROWTH_WINDOW}])"
    return timeseries(
        "Memory growth", f"RSS slope per process over a rolling {MEMORY_GROWTH_WINDOW}, per hour (the "
        f"memory_growth criterion takes the slope over its whole window); pass under {limit / MIB:g} MiB/hour.",
        "bytes",
        queries((f"max by (process) ({slope}) * 3600", "{{process}}")), above_is_bad(limit), width=8, min_val=None)


def open_fds(lim: Limits):
    limit = lim.value("process_open_fds_max")
    return timeseries(
        "Open file descriptors", f"Open fds per process against the limit of {limit:g} (SoakProcessFdsHigh).",
        "short", queries((series("soak_process_open_fds", PROCESS), "{{process}}"),
                         (series("soak_process_threads", PROCESS), "{{process}} threads")),
        above_is_bad(limit), width=8)


def cpu(lim: Limits):
    return timeseries(
        "CPU", "CPU time per second per process (1 = one core).", "percentunit",
        queries((f"rate({series('soak_process_cpu_seconds_total', PROCESS)}[{RATE}])", "{{process}}")), width=24)


# --- harvester SLOs ----------------------------------------------------------------------------------------------

RESTART_NOTE = "the largest total in the time range, so an exporter restart (totals from 0 again) hides nothing"


def _harvester_total(title: str, description: str, metric: str, legend: str, allowed: float):
    return stat(title, f"{description}: {RESTART_NOTE}; pass at {allowed:g} or fewer (harvester_slo).", "short",
                queries((f"max({series(metric)})", legend)), more_than_is_bad(allowed), calc="max")


def harvester_queue_dropped(lim: Limits):
    return _harvester_total("Harvester queue dropped", "Messages the harvester's queue dropped this run",
                            "soak_harvester_queue_dropped_total", "dropped", lim.value("harvester_queue_dropped_max"))


def harvester_substream_timeouts(lim: Limits):
    return _harvester_total("Harvester substream timeouts", "Substream timeouts seen by the harvester this run",
                            "soak_harvester_substream_timeouts_total", "timeouts",
                            lim.value("harvester_substream_timeouts_max"))


def harvester_reconnects(lim: Limits):
    return _harvester_total("Harvester reconnects", "Harvester reconnects this run",
                            "soak_harvester_reconnects_total", "reconnects", lim.value("harvester_reconnects_max"))


def harvester_queue_depth(lim: Limits):
    return timeseries("Harvester queue depth", "Messages waiting in the harvester's queue.", "short",
                      queries((f"max({series('soak_harvester_queue_depth')})", "depth")), width=6, height=5)


# --- signals -----------------------------------------------------------------------------------------------------

def signals_rate(lim: Limits):
    return timeseries(
        "Signals per minute", f"Signals, confirmed and strong signals per minute; SoakSignalsStalled fires after "
        f"a minute at zero held {lim.value('signals_stalled_for'):g} s more.", "short",
        queries((f"{_sum_rate('soak_signals_total')} * 60", "signals"),
                (f"{_sum_rate('soak_signals_confirmed_total')} * 60", "confirmed"),
                (f"{_sum_rate('soak_signals_strong_total')} * 60", "strong"),
                (f"{_sum_rate('soak_signals_gated_total', by='reason')} * 60", "gated: {{reason}}")),
        width=8)


def strong_ratio(lim: Limits):
    factor = lim.value("strong_ratio_collapse_factor")
    baseline = _share("soak_signals_strong_total", "soak_signals_total", STRONG_BASELINE_WINDOW)
    return timeseries(
        "Strong ratio", f"Strong share of signals over {STRONG_RATIO_WINDOW} against the trailing "
        f"{STRONG_BASELINE_WINDOW} baseline; SoakStrongRatioCollapse fires when it falls below the collapse line "
        f"({factor:g} x the baseline, with enough signals and a baseline of at least "
        f"{lim.value('strong_ratio_baseline_min'):.0%}).", "percentunit",
        queries((_share("soak_signals_strong_total", "soak_signals_total", STRONG_RATIO_WINDOW),
                 f"last {STRONG_RATIO_WINDOW}"),
                (baseline, f"{STRONG_BASELINE_WINDOW} baseline"), (f"{baseline} * {factor:g}", "collapse line")),
        width=8)


def low_consistency(lim: Limits):
    limit = lim.value("low_consistency_share_max")
    return timeseries(
        "Low-consistency share", f"Share of signals with consistency=low over {LOW_CONSISTENCY_WINDOW}; "
        f"SoakLowConsistencyHigh fires above {limit:.0%}.", "percentunit",
        queries((_share("soak_signals_low_consistency_total", "soak_signals_total", LOW_CONSISTENCY_WINDOW),
                 "low consistency")),
        above_is_bad(limit), width=8)


def signals_total(lim: Limits):
    return stat("Signals total", "Signals counted since the exporter started (all subjects).", "short",
                queries((f"sum({series('soak_signals_total')})", "signals")), below_is_bad(1), width=24, height=4)


# --- sinks and exports -------------------------------------------------------------------------------------------

def sink_parity(lim: Limits):
    limit = lim.value("sink_parity_diff_max")
    return timeseries(
        "Sink parity", f"Relative difference between the JSONL and SQLite sinks for total, confirm and strong "
        f"ratio; pass under {limit:.1%} (SoakSinkParityDrift).", "percentunit",
        queries((series("soak_sink_parity_diff_ratio"), "{{field}}")), above_is_bad(limit), width=8)


def sink_totals(lim: Limits):
    return timeseries(
        "Signals per sink", "Signals counted in each sink, by kind.", "short",
        queries((f"sum by (sink, kind) ({series('soak_sink_signals_total')})", "{{sink}} {{kind}}")), width=8)


def exports(lim: Limits):
    per_minute = lim.criterion("export_rate", "per_minute")
    return timeseries(
        "Time-series exports per minute", f"Exports of the pipeline's reporter per backend per minute, averaged "
        f"over {EXPORT_RATE_WINDOW}; export_rate needs at least {per_minute:g} per minute of the run (see the "
        "next panels for errors and the time since the last export).", "short",
        queries((f"{_sum_rate('soak_timeseries_exports_total', EXPORT_RATE_WINDOW, 'backend')} * 60",
                 "{{backend}}")),
        width=8)


def export_errors(lim: Limits):
    allowed = lim.value("export_errors_max")
    return stat(
        "Export errors", f"Failed exports per backend this run: {RESTART_NOTE}; must stay {allowed:g} "
        "(SoakTimeseriesExportErrors).", "short",
        queries((f"sum by (backend) ({series('soak_timeseries_export_errors_total')})", "{{backend}}")),
        more_than_is_bad(allowed), width=6, height=8, calc="max")


def export_age(lim: Limits):
    limit = lim.value("export_stale_after_seconds")
    last = f"max by (backend) ({series('soak_timeseries_last_export_timestamp_seconds')}) > 0"
    return timeseries(
        "Seconds since the last export", f"Age of the reporter's last export per backend, and of its last "
        f"Pushgateway push (job soak_report); SoakTimeseriesExportStale fires above {limit:g} s.", "s",
        queries((f"time() - ({last})", "{{backend}}"),
                (f'time() - max({selector("push_time_seconds", *RUN_FILTERS, fixed=(REPORT_JOB,))})',
                 "pushgateway push")),
        above_is_bad(limit), width=9)


def exporters_up(lim: Limits):
    return timeseries(
        "Exporters up", "Scrape health of the probe, the soak exporter and the Pushgateway.", "short",
        queries((selector("up", *RUN_FILTERS, fixed=('job=~"soak_probe|soak_exporter|pushgateway"',)),
                 "{{job}} {{instance}}")),
        below_is_bad(1), width=9)


# --- live verdict (verify-soak --watch, pushed as job soak_verdict) ---------------------------------------------

NOT_WATCHED = "no live verdict pushed: soakwatch watch --pushgateway-url URL"


def _live_count(state: str) -> str:
    matcher = f'state="{state}"'
    return f'count({series("soak_verdict_state", fixed=(matcher,))} == 1) or vector(0)'


def verdict_failed(lim: Limits):
    return stat(
        "Criteria failed (live)", "Criteria the live verdict (verify-soak --watch) decided failed: they can no "
        "longer pass by the planned end; SoakVerdictFailed fires for each. 0 also when no watch pushes.",
        "short", queries((_live_count("failed"), "failed")), more_than_is_bad(0), width=6, height=4)


def verdict_at_risk(lim: Limits):
    return stat(
        "Criteria at risk (live)", "Criteria failing now but able to recover by the planned end (a mean rate, a "
        "parity gap, a memory slope so far).", "short", queries((_live_count("at_risk"), "at risk")),
        more_than_is_bad(0, WARN), width=6, height=4)


def verdict_states(lim: Limits):
    return stat(
        "Live state per criterion", "The current live state of each criterion: passing, at_risk, failed or "
        "waiting (not enough data yet).", "short",
        queries((f'max by (criterion, state) ({series("soak_verdict_state")} == 1)', "{{criterion}}: {{state}}")),
        NO_STEPS, width=12, height=4).no_value(NOT_WATCHED)


def verdict_budget(lim: Limits):
    return timeseries(
        "Budget left (live)", "Share of a criterion's allowance left for the planned run: unhealthy checks "
        "(health_green, the worst process), reconnects (harvester_slo).", "percentunit",
        queries((series("soak_verdict_budget_remaining_ratio"), "{{criterion}}")), below_is_bad(0), width=24,
        height=6).no_value(NOT_WATCHED)


ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    ("Soak alerts", (critical_alerts, warning_alerts)),
    ("Live verdict", (verdict_failed, verdict_at_risk, verdict_states, verdict_budget)),
    ("Tick stream", (tick_rate, tick_latency, parse_gaps, probe_connectivity, probe_connected)),
    ("Processes", (health_green, process_up, restarts, resident_memory, memory_growth, open_fds, cpu)),
    ("Harvester SLOs", (harvester_queue_dropped, harvester_substream_timeouts, harvester_reconnects,
                        harvester_queue_depth)),
    ("Signals", (signals_rate, strong_ratio, low_consistency, signals_total)),
    ("Sinks and exports", (sink_parity, sink_totals, exports, export_errors, export_age, exporters_up)),
)


def build(lim: Limits) -> dashboard.Dashboard:
    """The soak-run dashboard model, its thresholds from ``lim``."""
    board = new_dashboard(
        "Soak run", UID, ("soakwatch", "soak"), "10s", "now-1h",
        "One soak run: alerts, tick stream, processes, harvester SLOs, signals, sinks and exports, each against its "
        "alert's or pass criterion's limit. Firing alerts are annotations.")
    board = (
        board.annotation(alerts_annotation("Critical soak alerts", ('severity="critical"', 'alertname=~"Soak.*"'), BAD))
        .annotation(alerts_annotation("Warning soak alerts", ('severity="warning"', 'alertname=~"Soak.*"'), WARN))
    )
    board = with_variables(board, *run_variables(PROCESS))
    return with_rows(board, [(title, [make(lim) for make in makers]) for title, makers in ROWS]).build()
