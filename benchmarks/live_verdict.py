"""Benchmark of verify-soak --watch: one evaluation cycle over a 60-minute window, every criterion.

Backfills a deterministic passing 60-minute history with promtool into a real Prometheus on a free port, then
times the live loop's evaluation (the verdict over the run so far and every criterion's live state) at the
end of the hour, then the whole cycle with the live report.html and the change lines, and the CPU a cycle
takes: this process's (the watcher's) and Prometheus's. The cost of watching at 30 s cycles is the CPU of
one cycle over 30 s. Prints one JSON object; exits 1 when a bar is missed (the median
evaluation < 0.5 s, watching < 2% of one core).

    PYTHONPATH=src python benchmarks/live_verdict.py [--cycles 10]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

import psutil

from soakwatch.stack import find_binary, prometheus
from soakwatch.testing.soak_history import LEAD_IN, build
from soakwatch.verify.config import default_settings
from soakwatch.verify.live.html import LiveReport
from soakwatch.verify.live.loop import Plan, evaluate
from soakwatch.verify.live.terminal import Changes
from soakwatch.verify.promapi import Auth, PromClient

START = 1767225600  # 2026-01-01T00:00:00Z
HOUR = 3600
EVERY = 30.0
BARS = {"evaluation_seconds": 0.5, "watch_core_share": 0.02}  # the median evaluation; the median cycle's CPU


def _tsdb(workdir: Path) -> None:
    source = workdir / "history.om"
    source.write_text(build(START).openmetrics())
    subprocess.run([find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                    str(workdir / "tsdb")], check=True, capture_output=True, timeout=600)


def _cycles(url: str, pid: int, count: int, out: Path) -> dict[str, list[float]]:
    """Wall seconds of each evaluation and whole cycle (with the live report.html and the change lines), and
    the watcher's and Prometheus's CPU seconds of each cycle."""
    client, settings = PromClient(url, Auth(None, None, None, None, False)), default_settings()
    sinks = (LiveReport(out, UTC, url, EVERY), Changes(io.StringIO()))
    plan = Plan(START + LEAD_IN, START + LEAD_IN + HOUR)
    server, me = psutil.Process(pid), psutil.Process()
    evaluate(client, settings, plan, plan.end)  # warm: Prometheus loads the blocks once
    figures: dict[str, list[float]] = {"evaluation": [], "cycle": [], "watcher_cpu": [], "prometheus_cpu": []}
    for _ in range(count):
        cpu_me, cpu_server, began = sum(me.cpu_times()[:2]), sum(server.cpu_times()[:2]), time.perf_counter()
        cycle = evaluate(client, settings, plan, plan.end)
        figures["evaluation"].append(time.perf_counter() - began)
        for sink in sinks:
            sink.show(cycle)
        figures["cycle"].append(time.perf_counter() - began)
        figures["watcher_cpu"].append(sum(me.cpu_times()[:2]) - cpu_me)
        figures["prometheus_cpu"].append(sum(server.cpu_times()[:2]) - cpu_server)
        if cycle.failed or len(cycle.states) != len(settings.criteria):
            raise SystemExit(f"the passing hour was judged {cycle.states}")
    return figures


def _summary(values: list[float], digits: int = 4) -> dict[str, float]:
    return {"min": round(min(values), digits), "median": round(statistics.median(values), digits),
            "max": round(max(values), digits)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        workdir = Path(tmp)
        _tsdb(workdir)
        config = workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 15s\n")
        with prometheus(workdir, config, storage_dir=workdir / "tsdb",
                        extra_args=["--storage.tsdb.retention.time=100y"]) as server:
            assert server.process is not None
            f = _cycles(server.url, server.process.pid, args.cycles, workdir / "out")
    share = statistics.median(f["watcher_cpu"]) / EVERY
    report = {
        "cycles": args.cycles, "criteria": len(default_settings().criteria), "window_seconds": HOUR,
        "evaluation_seconds": {**_summary(f["evaluation"]), "bar": BARS["evaluation_seconds"]},
        "cycle_with_report_seconds": _summary(f["cycle"]),
        "watcher_cpu_seconds_per_cycle": _summary(f["watcher_cpu"]),
        "prometheus_cpu_seconds_per_cycle": _summary(f["prometheus_cpu"]),
        "watch_core_share": {"every_seconds": EVERY, "watcher": round(share, 5),
                             "with_prometheus": round(share + statistics.median(f["prometheus_cpu"]) / EVERY, 5),
                             "bar": BARS["watch_core_share"]},
    }
    print(json.dumps(report))
    return 0 if statistics.median(f["evaluation"]) < BARS["evaluation_seconds"] and share < BARS[
        "watch_core_share"] else 1


if __name__ == "__main__":
    sys.exit(main())
