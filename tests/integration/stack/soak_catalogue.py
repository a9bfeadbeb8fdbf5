"""Every metric of the design's catalogue, served as live Prometheus text (counters grow with time).

Stands in for the probe (job soak_probe) and the soak exporter (job soak_exporter)
so that each dashboard query can be run against a real Prometheus with data.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROCESSES = ("harvest", "signal", "broker", "report")
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0, 10.0)

# name -> (type, [(labels, value at t=0, growth per second)])
PROBE = {
    "soak_nats_messages_total": ("counter", [("", 0, 5200)]),
    "soak_nats_bytes_total": ("counter", [("", 0, 520000)]),
    "soak_nats_parse_errors_total": ("counter", [('reason="bad_json"', 0, 1), ('reason="no_timestamp"', 0, 0.5)]),
    "soak_nats_sequence_gaps_total": ("counter", [("", 0, 0.2)]),
    "soak_nats_window_messages_per_second": ("gauge", [("", 5200, 0)]),
    "soak_nats_window_latency_seconds": ("gauge", [(f'quantile="{q}"', v, 0) for q, v in
                                                    (("0.5", 0.001), ("0.9", 0.003), ("0.99", 0.008), ("1", 0.02))]),
    "soak_nats_connected": ("gauge", [("", 1, 0)]),
    "soak_nats_reconnects_total": ("counter", [("", 0, 0.01)]),
    "soak_nats_dropped_messages_total": ("counter", [("", 0, 0.01)]),
    "soak_exporter_info": ("gauge", [('exporter="probe",version="0.1.0"', 1, 0)]),
}


def _per_process(value: float, growth: float, extra: str = "") -> list[tuple[str, float, float]]:
    return [(f'process="{p}"{extra}', value, growth) for p in PROCESSES]


EXPORTER = {
    "soak_health_checks_total": ("counter", _per_process(0, 0.1, ',status="healthy"')
                                 + _per_process(0, 0.001, ',status="degraded"')),
    "soak_process_healthy": ("gauge", _per_process(1, 0)),
    "soak_process_up": ("gauge", _per_process(1, 0)),
    "soak_process_restarts_total": ("counter", _per_process(1, 0.01)),
    "soak_process_restart_downtime_seconds": ("gauge", _per_process(3.5, 0)),
    "soak_process_start_time_seconds": ("gauge", _per_process(1.7e9, 0)),
    "soak_process_exit_time_seconds": ("gauge", _per_process(0, 0)),
    "soak_process_resident_memory_bytes": ("gauge", _per_process(150e6, 1000)),
    "soak_process_open_fds": ("gauge", _per_process(40, 0)),
    "soak_process_threads": ("gauge", _per_process(8, 0)),
    "soak_process_cpu_seconds_total": ("counter", _per_process(0, 0.2)),
    "soak_harvester_queue_dropped_total": ("counter", [("", 1, 0)]),  # fires SoakHarvesterQueueDropped (critical)
    "soak_harvester_substream_timeouts_total": ("counter", [("", 0, 0)]),
    "soak_harvester_reconnects_total": ("counter", [("", 1, 0)]),
    "soak_harvester_queue_depth": ("gauge", [("", 12, 0)]),
    "soak_signals_total": ("counter", [("", 0, 2)]),
    "soak_signals_confirmed_total": ("counter", [("", 0, 1.5)]),
    "soak_signals_strong_total": ("counter", [("", 0, 0.5)]),
    "soak_signals_low_consistency_total": ("counter", [("", 0, 0.3)]),
    "soak_signals_gated_total": ("counter", [('reason="spread"', 0, 0.1)]),
    "soak_sink_signals_total": ("counter", [(f'sink="{s}",kind="{k}"', 0, 1) for s in ("jsonl", "sqlite")
                                            for k in ("total", "confirm", "strong")]),
    "soak_sink_parity_diff_ratio": ("gauge", [(f'field="{f}"', 0.001, 0)
                                              for f in ("total", "confirm", "strong_ratio")]),
    "soak_timeseries_exports_total": ("counter", [('backend="prometheus"', 0, 1 / 60)]),
    "soak_timeseries_export_errors_total": ("counter", [('backend="prometheus"', 0, 0)]),
    "soak_timeseries_last_export_timestamp_seconds": ("gauge", [('backend="prometheus"', -1, 0)]),  # -1: now
    "soak_exporter_info": ("gauge", [('exporter="soak",version="0.1.0"', 1, 0)]),
}


def _sample(name: str, labels: str, value: float) -> str:
    return f"{name}{{{labels}}} {value}" if labels else f"{name} {value}"


def exposition(families: dict, elapsed: float) -> str:
    """Prometheus text of ``families`` ``elapsed`` seconds after start (plus the probe's latency histogram)."""
    lines = []
    for name, (kind, samples) in families.items():
        lines += [f"# HELP {name} catalogue sample.", f"# TYPE {name} {kind}"]
        for labels, start, growth in samples:
            value = time.time() if start == -1 else start + growth * elapsed
            lines.append(_sample(name, labels, value))
    if families is PROBE:
        lines += _latency_histogram(elapsed)
    return "\n".join(lines) + "\n"


def _latency_histogram(elapsed: float) -> list[str]:
    name, count = "soak_nats_latency_seconds", 5200 * elapsed
    lines = [f"# HELP {name} catalogue sample.", f"# TYPE {name} histogram"]
    for i, bound in enumerate(LATENCY_BUCKETS):
        lines.append(f'{name}_bucket{{le="{bound}"}} {count * (i + 1) / len(LATENCY_BUCKETS)}')
    lines += [f'{name}_bucket{{le="+Inf"}} {count}', f"{name}_sum {count * 0.002}", f"{name}_count {count}"]
    return lines


def serve(families: dict, port: int) -> ThreadingHTTPServer:
    """Serve ``families`` on 127.0.0.1:``port``/metrics in a daemon thread; call ``shutdown()`` to stop."""
    started = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = exposition(families, time.monotonic() - started).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


LIVE_VERDICT = ("soak_verdict_state", "soak_verdict_budget_remaining_ratio")  # pushed by verify-soak --watch
CATALOGUE = frozenset({*PROBE, *EXPORTER, *LIVE_VERDICT, "soak_nats_latency_seconds_bucket",
                       "soak_nats_latency_seconds"})
