"""Soak exporter overhead: CPU share of one core and /metrics scrape time under heartbeat+signal load.

    python benchmarks/exporter_overhead.py [--rate 1000] [--seconds 20] [--processes 4]

Starts a real nats-server, N sleeping processes the exporter watches, and `soakwatch export` as its own
process; publishes `rate` messages/s (half heartbeats, half signals) and prints one JSON object:
{"rate": ..., "cpu_percent_one_core": ..., "scrape_ms": {"median": ..., "p95": ..., "max": ...}, ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import nats
import psutil

from soakwatch import contract
from soakwatch.stack import free_port, nats_server

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("harvest", "signal", "broker", "report", "extra1", "extra2", "extra3", "extra4")


def _config(marker: str, processes: int, state: Path) -> str:
    match = "\n".join(f"    {r}: '{marker}\\s+{r}\\b'" for r in ROLES[:processes])
    return (f"processes:\n  interval: 5\n  match:\n{match}\nhealth: {{}}\nharvester: true\nsignals: true\n"
            f"exports: true\nsinks:\n  jsonl: {state}/s.jsonl\n  sqlite: {state}/s.sqlite\n")


async def _publish(url: str, rate: int, seconds: float) -> int:
    nc = await nats.connect(url)
    heartbeat = json.dumps(contract.heartbeat("signal", "healthy", 1, time.time())).encode()
    signal = json.dumps(contract.signal(True, False)).encode()
    sent, start, tick = 0, time.monotonic(), 0.01
    while (elapsed := time.monotonic() - start) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            if sent % 2:
                await nc.publish("signal.BTC", signal)
            else:
                await nc.publish(f"soak.health.{ROLES[sent // 2 % 4]}", heartbeat)
            sent += 1
        await asyncio.sleep(tick)
    await nc.flush()
    await nc.close()
    return sent


def _scrape_ms(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=5) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


async def _measure(url: str, metrics_url: str, exporter: psutil.Process, args: argparse.Namespace) -> dict:
    publisher = asyncio.create_task(_publish(url, args.rate, args.seconds))
    await asyncio.sleep(1.0)  # warm-up
    cpu0, wall0 = sum(exporter.cpu_times()[:2]), time.monotonic()
    scrapes = []
    while not publisher.done():
        scrapes.append(await asyncio.to_thread(_scrape_ms, metrics_url))
        await asyncio.sleep(1.0)
    cpu = sum(exporter.cpu_times()[:2]) - cpu0
    wall = time.monotonic() - wall0
    sent = await publisher
    scrapes.sort()
    return {"rate": args.rate, "seconds": args.seconds, "messages": sent, "watched_processes": args.processes,
            "cpu_percent_one_core": round(cpu / wall * 100, 2),
            "scrape_ms": {"median": round(statistics.median(scrapes), 2),
                          "p95": round(scrapes[int(len(scrapes) * 0.95) - 1], 2), "max": round(scrapes[-1], 2)},
            "rss_mb": round(exporter.memory_info().rss / 1e6, 1)}


def run(args: argparse.Namespace) -> dict:
    marker = f"soakwatch-bench-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp, nats_server(Path(tmp) / "nats") as server:
        state = Path(tmp)
        (state / "soak.yaml").write_text(_config(marker, args.processes, state))
        sleepers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", marker, r])
                    for r in ROLES[:args.processes]]
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        proc = subprocess.Popen([sys.executable, "-m", "soakwatch", "export", "--config", str(state / "soak.yaml"),
                                 "--web.listen-address", f"127.0.0.1:{port}", "--nats-url", server.url,
                                 "--log-level", "ERROR"], env=env)
        try:
            metrics_url = f"http://127.0.0.1:{port}/metrics"
            deadline = time.monotonic() + 20
            while True:
                try:
                    _scrape_ms(metrics_url)
                    break
                except OSError:
                    assert time.monotonic() < deadline, "exporter never served /metrics"
                    time.sleep(0.1)
            time.sleep(1.0)
            return asyncio.run(_measure(server.url, metrics_url, psutil.Process(proc.pid), args))
        finally:
            proc.terminate()
            proc.wait(15)
            for sleeper in sleepers:
                sleeper.kill()
                sleeper.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="messages/s, half heartbeats, half signals")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=4, choices=range(1, len(ROLES) + 1))
    print(json.dumps(run(parser.parse_args(argv)), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
