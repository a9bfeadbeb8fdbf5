"""Benchmark: the probe against a bare nats-py subscriber, in the same run, as ratios.

    python benchmarks/probe_throughput.py                 # saturation, CPU at 5,000 msgs/s, RSS over 2 minutes
    python benchmarks/probe_throughput.py --rss-minutes 10

1. Saturation: a publisher floods N ticks; each subscriber variant drains them
   as fast as it can; rate = messages / (last - first receive). The probe's
   rate is reported as a ratio of the bare subscriber's (goal >= 0.95).
2. CPU at a paced 5,000 msgs/s: process CPU seconds / wall seconds of each
   variant (goal for the probe <= 10% of one core).
3. RSS of the probe at 5,000 msgs/s sampled over --rss-minutes (goal: flat).

Variants: ``bare`` (nats-py callback that only counts), ``probe`` (the probe's
fast path with latency recording and folds), ``probe-normal`` (the probe on
nats-py's ordinary callback path).
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
from pathlib import Path

import psutil
from nats import connect as nats_connect

from soakwatch.demo.ticks import TickPublisher, tick_payload
from soakwatch.exporters.probe.nats import subscribe
from soakwatch.exporters.probe.state import Probe
from soakwatch.exporters.probe.ticks import TickReader
from soakwatch.stack import nats_server

VARIANTS = ("bare", "probe", "probe-normal")


async def _subscriber(variant: str, url: str, count: int, seconds: float) -> dict:
    """Run one variant until ``count`` messages or ``seconds``; report rate, CPU and RSS."""
    client = await nats_connect(url)
    received = [0]
    times: list[float] = []
    if variant == "bare":
        async def on_message(msg) -> None:  # type: ignore[no-untyped-def]
            received[0] += 1
        await client.subscribe("market.tick.>", cb=on_message, pending_msgs_limit=10_000_000,
                               pending_bytes_limit=0)
        counter = lambda: received[0]  # noqa: E731
    else:
        probe = Probe(TickReader())
        await subscribe(client, probe, ["market.tick.>"], fast_path=variant == "probe",
                        pending_msgs_limit=10_000_000)
        counter = lambda: probe.messages  # noqa: E731
    await client.flush()
    print("ready", flush=True)
    process = psutil.Process()
    start_cpu, start_wall, deadline = process.cpu_times(), time.monotonic(), time.monotonic() + seconds
    rss: list[float] = []
    next_fold = time.monotonic() + 1
    while counter() < count and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
        now = time.monotonic()
        if counter() and not times:
            times.append(now)
        if now >= next_fold:
            if variant != "bare":
                probe.fold()
                probe.roll_window() if int(now) % 5 == 0 else None
            rss.append(process.memory_info().rss / 1e6)
            next_fold = now + 1
    end_cpu, end_wall = process.cpu_times(), time.monotonic()
    await client.close()
    cpu = (end_cpu.user + end_cpu.system) - (start_cpu.user + start_cpu.system)
    span = end_wall - (times[0] if times else start_wall)
    return {"variant": variant, "received": counter(), "seconds": span, "rate": counter() / span if span else 0,
            "cpu_seconds": cpu, "wall_seconds": end_wall - start_wall, "rss_mb": rss}


def _spawn(variant: str, url: str, count: int, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--role", variant, "--url", url, "--count", str(count), "--seconds", str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{variant} subscriber did not start")
    return process


async def _flood(url: str, count: int) -> None:
    """Write ``count`` HPUB ticks (with a Soak-Ts header) on a raw socket, far faster than any subscriber."""
    host, port = url.removeprefix("nats://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    await reader.readline()  # INFO
    writer.write(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\nPING\r\n')
    await reader.readline()  # PONG
    chunk = 10_000
    for offset in range(0, count, chunk):
        now = time.time_ns()
        headers = b"NATS/1.0\r\nSoak-Ts: %d\r\n\r\n" % now
        payload = tick_payload("BTCUSDT", offset, now)
        command = b"HPUB market.tick.BTCUSDT %d %d\r\n%s%s\r\n" % (
            len(headers), len(headers) + len(payload), headers, payload)
        writer.write(command * min(chunk, count - offset))
        await writer.drain()
    writer.write(b"PING\r\n")
    await writer.drain()
    await reader.readline()  # PONG: the server has taken every message
    writer.close()


async def _paced(url: str, rate: float, seconds: float) -> None:
    client = await nats_connect(url)
    await TickPublisher(client, rate).run(duration=seconds)
    await client.close()


def _measure(variant: str, url: str, count: int, seconds: float, publish) -> dict:  # type: ignore[no-untyped-def]
    subscriber = _spawn(variant, url, count, seconds)
    asyncio.run(publish())
    out, _ = subscriber.communicate(timeout=seconds + 60)
    return json.loads(out.strip().splitlines()[-1])


def run_bench(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as state, nats_server(Path(state)) as server:
        url = server.url
        saturation: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for repeat in range(args.repeats):
            for variant in VARIANTS:
                result = _measure(variant, url, args.messages, 120, lambda: _flood(url, args.messages))
                saturation[variant].append(result["rate"])
                print(f"saturation repeat {repeat + 1}: {variant:13s} {result['rate']:9.0f} msgs/s "
                      f"({result['received']} received)", file=sys.stderr)
        cpu = {}
        for variant in VARIANTS:
            n = int(args.rate * args.cpu_seconds)
            result = _measure(variant, url, n, args.cpu_seconds + 5, lambda: _paced(url, args.rate, args.cpu_seconds))
            cpu[variant] = 100 * result["cpu_seconds"] / result["wall_seconds"]
            print(f"cpu at {args.rate:.0f}/s: {variant:13s} {cpu[variant]:5.1f}% of one core", file=sys.stderr)
        rss_seconds = args.rss_minutes * 60
        rss = _measure("probe", url, int(args.rate * rss_seconds) + 1, rss_seconds + 5,
                       lambda: _paced(url, args.rate, rss_seconds))["rss_mb"]
    median = {v: statistics.median(rates) for v, rates in saturation.items()}
    return {
        "messages": args.messages, "repeats": args.repeats,
        "saturation_msgs_per_sec": {
            v: {"min": min(r), "median": median[v], "max": max(r)} for v, r in saturation.items()
        },
        "ratio_probe_vs_bare": round(median["probe"] / median["bare"], 3),
        "ratio_probe_normal_path_vs_bare": round(median["probe-normal"] / median["bare"], 3),
        f"cpu_percent_at_{int(args.rate)}": {v: round(c, 2) for v, c in cpu.items()},
        "cpu_ratio_probe_vs_bare": round(cpu["probe"] / cpu["bare"], 3),
        "rss_mb": {"minutes": args.rss_minutes, "first": rss[0] if rss else None, "last": rss[-1] if rss else None,
                   "max": max(rss) if rss else None,
                   "growth_after_first_minute": round(rss[-1] - rss[min(60, len(rss) - 1)], 2) if rss else None},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300_000, help="ticks per saturation run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5_000.0, help="paced rate for the CPU and RSS runs")
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    parser.add_argument("--rss-minutes", type=float, default=2.0)
    parser.add_argument("--role", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        print(json.dumps(asyncio.run(_subscriber(args.role, args.url, args.count, args.seconds))))
        return 0
    print(json.dumps(run_bench(args), indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
