"""The three processes: acme-ingest (ticks, stats), acme-scorer (scores, JSONL sink), acme-gateway (a consumer)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

import nats

from altpipe import health

SYMBOLS = ("AAA", "BBB", "CCC")
TICK_PREFIX = "acme.px"
SCORE_PREFIX = "acme.score"
STATS_SUBJECT = "acme.ingest.stats"


def fault_at(faults: list[str], name: str) -> float | None:
    """Seconds into the run at which fault ``name`` (given as ``name@SECONDS``) starts; None if not given."""
    for spec in faults:
        fault, _, at = spec.partition("@")
        if fault == name:
            return float(at or 0)
    return None


async def ingest(args: argparse.Namespace) -> None:
    """Ticks ``{"sym","px","qty","t_ms","n"}`` on acme.px.<sym> at ``--rate``; stats every ``--stats-interval``."""
    health.serve(lambda: "ok", args.health_port)
    nc = await nats.connect(args.nats_url, name="acme-ingest")
    stop_at = fault_at(args.fault, "ticks-stop")
    seq = dict.fromkeys(SYMBOLS, 0)
    start, sent, next_stats = time.monotonic(), 0, 0.0
    while (elapsed := time.monotonic() - start) < args.duration:
        if elapsed >= next_stats:
            stats = {"dropped": 0, "timeouts": 0, "reconnects": 0, "backlog": random.randint(0, 5)}
            await nc.publish(STATS_SUBJECT, json.dumps(stats).encode())
            next_stats += args.stats_interval
        due = int(elapsed * args.rate) - sent
        if stop_at is None or elapsed < stop_at:
            for _ in range(max(0, due)):
                sym = SYMBOLS[sent % len(SYMBOLS)]
                seq[sym] += 1
                tick = {"sym": sym, "px": round(100 + random.random(), 4), "qty": random.randint(1, 9),
                        "t_ms": int(time.time() * 1000), "n": seq[sym]}
                await nc.publish(f"{TICK_PREFIX}.{sym}", json.dumps(tick).encode())
                sent += 1
        else:
            sent += max(0, due)
        await asyncio.sleep(0.01)
    await nc.drain()


async def scorer(args: argparse.Namespace) -> None:
    """One score per ``--every`` ticks on acme.score.<sym> (``is_strong``, ``quality``...) and in the JSONL sink."""
    health.serve(lambda: "ok", args.health_port)
    nc = await nats.connect(args.nats_url, name="acme-scorer")
    sink = Path(args.dir) / "out" / "scores.jsonl"
    sink.parent.mkdir(parents=True, exist_ok=True)
    handle = sink.open("a", buffering=1)
    seen = 0

    async def on_tick(msg: nats.aio.msg.Msg) -> None:
        nonlocal seen
        seen += 1
        if seen % args.every:
            return
        sym = msg.subject.rpartition(".")[2]
        strong, confirmed = random.random() < 0.3, random.random() < 0.6
        score = {"sym": sym, "confirmed": confirmed, "is_strong": strong,
                 "quality": "good" if random.random() < 0.9 else "bad", "gate": None, "t": time.time()}
        await nc.publish(f"{SCORE_PREFIX}.{sym}", json.dumps(score).encode())
        handle.write(json.dumps({"ts": score["t"], "sym": sym, "confirm": confirmed, "strong": strong}) + "\n")

    await nc.subscribe(f"{TICK_PREFIX}.>", cb=on_tick)
    await asyncio.sleep(args.duration)
    await nc.drain()
    handle.close()


async def gateway(args: argparse.Namespace) -> None:
    """Consumes the scores; its health turns ``down`` from the ``gateway-down@SECONDS`` fault on."""
    down_at = fault_at(args.fault, "gateway-down")
    start = time.monotonic()
    health.serve(lambda: "down" if down_at is not None and time.monotonic() - start >= down_at else "ok",
                 args.health_port)
    nc = await nats.connect(args.nats_url, name="acme-gateway")
    received = 0

    async def on_score(msg: nats.aio.msg.Msg) -> None:
        nonlocal received
        received += 1

    await nc.subscribe(f"{SCORE_PREFIX}.>", cb=on_score)
    await asyncio.sleep(args.duration)
    await nc.drain()


ROLES = {"acme-ingest": ingest, "acme-scorer": scorer, "acme-gateway": gateway}
