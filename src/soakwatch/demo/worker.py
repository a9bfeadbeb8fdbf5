"""``python -m soakwatch.demo.worker <role>``: one OS process of the demo pipeline (harvest, signal, broker, report).

Every role publishes heartbeats on ``soak.health.<role>``, applies the faults sent to it on
``soak.demo.control.<role>`` and stops cleanly on SIGTERM/SIGINT (the broker drains its queues first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from nats.aio.client import Client
from nats.aio.msg import Msg

from soakwatch.contract import PROCESSES
from soakwatch.demo.connection import connect
from soakwatch.demo.control import control_subject, parse_control
from soakwatch.demo.harvest import Harvester
from soakwatch.demo.report import Reporter
from soakwatch.demo.runtime import Role, Runtime
from soakwatch.demo.signals import SignalEngine
from soakwatch.demo.sink import Broker
from soakwatch.natsconn import add_nats_arguments, connect_options
from soakwatch.options import positive_float

log = logging.getLogger("soakwatch.demo.worker")
DRAIN_SECONDS = 1.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m soakwatch.demo.worker", description=__doc__)
    parser.add_argument("role", choices=PROCESSES)
    parser.add_argument("--state-dir", type=Path, required=True, help="the demo folder (<state>/demo)")
    parser.add_argument("--heartbeat-interval", type=positive_float, default=10.0)
    parser.add_argument("--stats-interval", type=positive_float, default=5.0)
    parser.add_argument("--export-interval", type=positive_float, default=60.0)
    parser.add_argument("--signal-every", type=int, default=100, help="ticks of a symbol per signal")
    parser.add_argument("--queue-size", type=int, default=5000, help="harvester queue bound")
    parser.add_argument("--sink-queue", type=int, default=500, help="broker queue bound per sink")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--active", action="append", default=[], help="KIND[=VALUE] fault active at start")
    add_nats_arguments(parser)
    return parser


def make_role(rt: Runtime) -> Role:
    if rt.role == "harvest":
        return Harvester(rt)
    if rt.role == "signal":
        return SignalEngine(rt)
    if rt.role == "broker":
        return Broker(rt)
    return Reporter(rt)


async def _heartbeats(rt: Runtime) -> None:
    while True:
        with contextlib.suppress(Exception):  # a heartbeat lost while reconnecting is a missing check
            await rt.inst.heartbeat(rt.status())
        await asyncio.sleep(rt.args.heartbeat_interval)


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """Stop when the supervisor is gone (this process was re-parented): never outlive the demo."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    log.warning("supervisor %d is gone; stopping", parent)
    stop.set()


async def _run(args: argparse.Namespace) -> int:
    nc = await connect(connect_options(args), f"demo-{args.role}", timeout=30.0)
    rt = Runtime(nc, args.role, args)
    role = make_role(rt)

    async def on_control(msg: Msg) -> None:
        parsed = parse_control(msg.data)
        if parsed is not None:
            rt.fault(*parsed)
            role.on_fault(*parsed)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await nc.subscribe(control_subject(args.role), cb=on_control)
    await role.start()
    tasks = [asyncio.create_task(_heartbeats(rt)), asyncio.create_task(_watch_parent(os.getppid(), stop))]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await role.stop()
    await _close(nc)
    return 0


async def _close(nc: Client) -> None:
    """Flush what the role published last, then drain for at most DRAIN_SECONDS: a consumer far behind the
    ticks (a busy machine) drops what is still queued rather than hold the shutdown up for seconds."""
    with contextlib.suppress(Exception):
        await nc.flush(timeout=1)
    try:
        await asyncio.wait_for(nc.drain(), DRAIN_SECONDS)
    except Exception as exc:  # TimeoutError, or the connection is already gone
        log.warning("stop: drain not done within %.0f s (%s); closing", DRAIN_SECONDS, type(exc).__name__)
        with contextlib.suppress(Exception):
            await nc.close()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
