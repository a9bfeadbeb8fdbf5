"""The soak-run dashboard: one row per concern of a soak, each panel drawn against its pass threshold."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash_b
from grafana_foundation_sdk.models import dashboard

from soakwatch.dashboards.panels import (
    BAD,
    GOOD,
    JOB,
    PROCESS,
    WARN,
    above_is_bad,
    alerts_annotation,
    below_is_bad,
    queries,
    query_variable,
    row,
    stat,
    timeseries,
)

UID = "soakwatch-soak-run"

# Pass thresholds drawn on the panels (the verify-soak criteria defaults of the design).
TICK_RATE_MIN = 5000.0  # msgs/s
PARSE_GAP_RATIO_MAX = 0.001  # 0.1 %
LATENCY_P99_MAX = 0.010  # s
HEALTH_GREEN_MIN = 0.98
RSS_MAX_BYTES = 600 * 1024 * 1024
OPEN_FDS_MAX = 256
MEMORY_GROWTH_MAX_BYTES_PER_HOUR = 50 * 1024 * 1024
RESTART_RECOVERY_MAX = 12.0  # s
HARVESTER_RECONNECTS_MAX = 3
LOW_CONSISTENCY_MAX = 0.8
SINK_PARITY_MAX = 0.005
EXPORTS_PER_MINUTE_MIN = 1.0
SOAK_ALERTS = "SoakSignalsStalled|SoakLowConsistencyHigh|SoakStrongRatioCollapse"
RATE = "$__rate_interval"


def _sum_rate(metric: str, by: str = "", extra: str = "") -> str:
    grouping = f" by ({by})" if by else ""
    matchers = ", ".join(m for m in (JOB, extra) if m)
    return f"sum{grouping}(rate({metric}{{{matchers}}}[{RATE}]))"


# --- tick stream -------------------------------------------------------------------------------------------------

def tick_rate():
    return timeseries(
        "Tick rate", f"Messages per second seen by the probe; the pass line is {TICK_RATE_MIN:,.0f} msgs/s.",
        "suffix: msg/s",
        queries((_sum_rate("soak_nats_messages_total"), "rate"),
                (f"sum(soak_nats_window_messages_per_second{{{JOB}}})", "last window")),
        below_is_bad(TICK_RATE_MIN))


def tick_latency():
    def quantile(q: str) -> tuple[str, str]:
        return (f"histogram_quantile({q}, {_sum_rate('soak_nats_latency_seconds_bucket', 'le')})", f"p{q[2:]}")

    return timeseries(
        "Tick latency p50 / p90 / p99", "Receive time minus event time, from the probe's histogram (summed over "
        f"probe replicas); p99 must stay under {LATENCY_P99_MAX * 1000:.0f} ms.", "s",
        queries(quantile("0.50"), quantile("0.90"), quantile("0.99")), above_is_bad(LATENCY_P99_MAX))


def parse_gaps():
    ratio = f"{_sum_rate('soak_nats_parse_errors_total')} / {_sum_rate('soak_nats_messages_total')}"
    gaps = f"{_sum_rate('soak_nats_sequence_gaps_total')} / {_sum_rate('soak_nats_messages_total')}"
    return timeseries(
        "Parse-gap ratio", f"Parse errors (bad JSON, missing or bad timestamp) per message; pass under "
        f"{PARSE_GAP_RATIO_MAX:.1%}. Sequence gaps are messages missing by sequence number.", "percentunit",
        queries((ratio, "parse errors"), (gaps, "sequence gaps")), above_is_bad(PARSE_GAP_RATIO_MAX))


def probe_connectivity():
    return timeseries(
        "Probe drops and reconnects", "Messages the NATS client dropped because the probe fell behind, and "
        "reconnects; a passing soak has none of either and stays connected.", "short",
        queries((f"sum(increase(soak_nats_dropped_messages_total{{{JOB}}}[{RATE}]))", "dropped"),
                (f"sum(increase(soak_nats_reconnects_total{{{JOB}}}[{RATE}]))", "reconnects"),
                (f"min(soak_nats_connected{{{JOB}}})", "connected")),
        above_is_bad(1), width=8)


def probe_connected():
    return stat(
        "Probe connected", "1 while every probe is connected to NATS.", "bool_yes_no",
        queries((f"min(soak_nats_connected{{{JOB}}})", "connected")), below_is_bad(1), width=4, height=8,
        calc="min")


# --- processes ---------------------------------------------------------------------------------------------------

def health_green():
    def checks(status: str) -> str:
        return f"sum by (process) (increase(soak_health_checks_total{{{JOB}, {PROCESS}{status}}}[$__range]))"

    return stat(
        "Health green %", f"Healthy heartbeats over all heartbeats in the time range, per process; pass at "
        f"{HEALTH_GREEN_MIN:.0%}.", "percentunit",
        queries((f"{checks(', status=' + chr(34) + 'healthy' + chr(34))} / {checks('')}", "{{process}}"), instant=True),
        below_is_bad(HEALTH_GREEN_MIN), width=8, height=8)


def process_up():
    return timeseries(
        "Process up", "1 while a process of the pipeline runs (matched by name or command line).", "short",
        queries((f"soak_process_up{{{JOB}, {PROCESS}}}", "{{process}}"),
                (f"soak_process_healthy{{{JOB}, {PROCESS}}}", "{{process}} healthy")),
        below_is_bad(1), width=8)


def restarts():
    return timeseries(
        "Restarts and downtime", f"Restarts per process and the downtime of the latest one; every restart must be "
        f"back within {RESTART_RECOVERY_MAX:.0f} s.", "s",
        queries((f"soak_process_restart_downtime_seconds{{{JOB}, {PROCESS}}}", "{{process}} downtime"),
                (f"sum by (process) (soak_process_restarts_total{{{JOB}, {PROCESS}}})", "{{process}} restarts")),
        above_is_bad(RESTART_RECOVERY_MAX), width=8)


def resident_memory():
    return timeseries(
        "Resident memory", f"RSS per process against the {RSS_MAX_BYTES // 2**20} MiB limit.", "bytes",
        queries((f"soak_process_resident_memory_bytes{{{JOB}, {PROCESS}}}", "{{process}}")),
        above_is_bad(RSS_MAX_BYTES), width=8)


def memory_growth():
    return timeseries(
        "Memory growth", f"RSS slope per process over 30 minutes, per hour; pass under "
        f"{MEMORY_GROWTH_MAX_BYTES_PER_HOUR // 2**20} MiB/hour.", "bytes",
        queries((f"deriv(soak_process_resident_memory_bytes{{{JOB}, {PROCESS}}}[30m]) * 3600", "{{process}}")),
        above_is_bad(MEMORY_GROWTH_MAX_BYTES_PER_HOUR), width=8, min_val=None)


def open_fds():
    return timeseries(
        "Open file descriptors", f"Open fds per process against the limit of {OPEN_FDS_MAX}.", "short",
        queries((f"soak_process_open_fds{{{JOB}, {PROCESS}}}", "{{process}}"),
                (f"soak_process_threads{{{JOB}, {PROCESS}}}", "{{process}} threads")),
        above_is_bad(OPEN_FDS_MAX), width=8)


def cpu():
    return timeseries(
        "CPU", "CPU time per second per process (1 = one core).", "percentunit",
        queries((f"rate(soak_process_cpu_seconds_total{{{JOB}, {PROCESS}}}[{RATE}])", "{{process}}")), width=24)


# --- harvester SLOs ----------------------------------------------------------------------------------------------

def harvester_queue_dropped():
    return stat("Harvester queue dropped", "Messages the harvester's queue dropped; must stay 0.", "short",
                queries((f"max(soak_harvester_queue_dropped_total{{{JOB}}})", "dropped")), above_is_bad(1))


def harvester_substream_timeouts():
    return stat("Harvester substream timeouts", "Substream timeouts seen by the harvester; must stay 0.", "short",
                queries((f"max(soak_harvester_substream_timeouts_total{{{JOB}}})", "timeouts")), above_is_bad(1))


def harvester_reconnects():
    return stat("Harvester reconnects", f"Harvester reconnects; pass at {HARVESTER_RECONNECTS_MAX} or fewer.",
                "short", queries((f"max(soak_harvester_reconnects_total{{{JOB}}})", "reconnects")),
                above_is_bad(HARVESTER_RECONNECTS_MAX + 1))


def harvester_queue_depth():
    return timeseries("Harvester queue depth", "Messages waiting in the harvester's queue.", "short",
                      queries((f"max(soak_harvester_queue_depth{{{JOB}}})", "depth")), width=6, height=5)


# --- signals and the soak alerts ---------------------------------------------------------------------------------

def signals_rate():
    return timeseries(
        "Signals per minute", "Signals, confirmed and strong signals per minute; SoakSignalsStalled fires after two "
        "minutes at zero.", "short",
        queries((f"{_sum_rate('soak_signals_total')} * 60", "signals"),
                (f"{_sum_rate('soak_signals_confirmed_total')} * 60", "confirmed"),
                (f"{_sum_rate('soak_signals_strong_total')} * 60", "strong"),
                (f"{_sum_rate('soak_signals_gated_total', 'reason')} * 60", "gated: {{reason}}")),
        width=8)


def strong_ratio():
    def ratio(window: str) -> str:
        return (f"sum(increase(soak_signals_strong_total{{{JOB}}}[{window}])) / "
                f"sum(increase(soak_signals_total{{{JOB}}}[{window}]))")

    return timeseries(
        "Strong ratio", "Strong share of signals over 5 minutes against the trailing 60-minute baseline; "
        "SoakStrongRatioCollapse fires when it falls below half of the baseline.", "percentunit",
        queries((ratio("5m"), "last 5m"), (ratio("60m"), "60m baseline"), (f"{ratio('60m')} / 2", "collapse line")),
        width=8)


def low_consistency():
    expr = (f"sum(increase(soak_signals_low_consistency_total{{{JOB}}}[1m])) / "
            f"sum(increase(soak_signals_total{{{JOB}}}[1m]))")
    return timeseries(
        "Low-consistency share", f"Share of signals with consistency=low over one minute; SoakLowConsistencyHigh "
        f"fires above {LOW_CONSISTENCY_MAX:.0%}.", "percentunit",
        queries((expr, "low consistency")), above_is_bad(LOW_CONSISTENCY_MAX), width=8)


def signals_total():
    return stat("Signals total", "Signals counted since the exporter started (all subjects).", "short",
                queries((f"sum(soak_signals_total{{{JOB}}})", "signals")), below_is_bad(1), width=6, height=4)


def soak_alerts_firing():
    return stat(
        "Soak alerts firing", "The three soak alerts (stalled signals, low consistency, strong-ratio collapse) "
        "firing now, by name; 0 when none fires.", "short",
        queries((f'count by (alertname) (ALERTS{{alertstate="firing", alertname=~"{SOAK_ALERTS}"}}) '
                 "or on() vector(0)", "{{alertname}}")),
        ((None, GOOD), (1, BAD)), width=18, height=4)


# --- sinks and exports -------------------------------------------------------------------------------------------

def sink_parity():
    return timeseries(
        "Sink parity", f"Relative difference between the JSONL and SQLite sinks for total, confirm and strong "
        f"ratio; pass under {SINK_PARITY_MAX:.1%}.", "percentunit",
        queries((f"soak_sink_parity_diff_ratio{{{JOB}}}", "{{field}}")), above_is_bad(SINK_PARITY_MAX), width=8)


def sink_totals():
    return timeseries(
        "Signals per sink", "Signals counted in each sink, by kind.", "short",
        queries((f"sum by (sink, kind) (soak_sink_signals_total{{{JOB}}})", "{{sink}} {{kind}}")), width=8)


def exports():
    return timeseries(
        "Time-series exports per minute", f"Exports of the pipeline's reporter per backend per minute (at least "
        f"{EXPORTS_PER_MINUTE_MIN:.0f}), and export errors (none).", "short",
        queries((f"sum by (backend) (increase(soak_timeseries_exports_total{{{JOB}}}[1m]))", "{{backend}} exports"),
                (f"sum by (backend) (increase(soak_timeseries_export_errors_total{{{JOB}}}[1m]))",
                 "{{backend}} errors")),
        below_is_bad(EXPORTS_PER_MINUTE_MIN), width=8)


def export_age():
    return timeseries(
        "Seconds since the last export", "Age of the reporter's last export per backend, and of its last "
        "Pushgateway push (job soak_report).", "s",
        queries((f"time() - max by (backend) (soak_timeseries_last_export_timestamp_seconds{{{JOB}}})",
                 "{{backend}}"),
                ('time() - max(push_time_seconds{job="soak_report"})', "pushgateway push")),
        ((None, GOOD), (120, WARN), (300, BAD)), width=12)


def exporters_up():
    return timeseries(
        "Exporters up", "Scrape health of the probe, the soak exporter and the Pushgateway.", "short",
        queries(('up{job=~"soak_probe|soak_exporter|pushgateway"}', "{{job}} {{instance}}")),
        below_is_bad(1), width=12)


ROWS = (
    ("Tick stream", (tick_rate, tick_latency, parse_gaps, probe_connectivity, probe_connected)),
    ("Processes", (health_green, process_up, restarts, resident_memory, memory_growth, open_fds, cpu)),
    ("Harvester SLOs", (harvester_queue_dropped, harvester_substream_timeouts, harvester_reconnects,
                        harvester_queue_depth)),
    ("Signals and soak alerts", (signals_rate, strong_ratio, low_consistency, signals_total, soak_alerts_firing)),
    ("Sinks and exports", (sink_parity, sink_totals, exports, export_age, exporters_up)),
)


def build() -> dashboard.Dashboard:
    """The soak-run dashboard model."""
    board = (
        dash_b.Dashboard("Soak run").uid(UID).tags(["soakwatch", "soak"]).refresh("10s").time("now-1h", "now")
        .timezone("browser").tooltip(dashboard.DashboardCursorSync.CROSSHAIR).readonly()
        .description("One soak run: tick stream, processes, harvester SLOs, signals, sinks and exports, each "
                     "against its pass threshold. Firing alerts are annotations.")
        .with_variable(query_variable("job", "Job", 'label_values(up{job=~"soak_.*"}, job)'))
        .with_variable(query_variable("process", "Process", "label_values(soak_process_up, process)"))
        .annotation(alerts_annotation("Soak alerts", f'alertname=~"{SOAK_ALERTS}"', BAD))
        .annotation(alerts_annotation("SLO alerts", f'alertname=~"Soak.*", alertname!~"{SOAK_ALERTS}"', WARN))
    )
    for title, panel_functions in ROWS:
        board = board.with_row(row(title))
        for make_panel in panel_functions:
            board = board.with_panel(make_panel())
    return board.build()
