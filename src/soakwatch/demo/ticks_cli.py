"""``soakwatch ticks``: publish a paced synthetic tick stream (load for the probe, or a smoke test)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

import nats
from nats.errors import NoServersError

from soakwatch.demo.ticks import DEFAULT_SYMBOLS, TickPublisher
from soakwatch.errors import SoakwatchError
from soakwatch.natsconn import add_nats_arguments, connect_options, redact_url
from soakwatch.options import env_flag, positive_float


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Publish market ticks on market.tick.<SYMBOL> at a "
                                     "steady rate, with the event time in the Soak-Ts header and ts_ns.")
    env_flag(parser, "--rate", env="SOAK_TICK_RATE", default=6000.0, type=positive_float, help="ticks per second")
    env_flag(parser, "--duration", env="SOAK_TICK_DURATION", type=positive_float,
             help="seconds to run (default: until SIGINT/SIGTERM)")
    parser.add_argument("--count", type=int, help="stop after this many ticks")
    parser.add_argument("--symbols", nargs="+", default=list(DEFAULT_SYMBOLS), help="symbols, round-robin")
    add_nats_arguments(parser)
    return parser


async def _publish(args: argparse.Namespace) -> int:
    client = await nats.connect(**connect_options(args))
    publisher = TickPublisher(client, args.rate, args.symbols)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, publisher.stop)
    try:
        stats = await publisher.run(count=args.count, duration=args.duration)
    finally:
        await client.close()
    print(f"ticks: sent {stats.sent} at {stats.rate:.1f}/s", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    if args.count is not None and args.count < 1:
        print("ticks: --count must be >= 1", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_publish(args))
    except SoakwatchError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (NoServersError, TimeoutError, OSError) as exc:
        print(f"ticks: cannot connect to NATS at {redact_url(args.nats_url)}: {exc or type(exc).__name__}",
              file=sys.stderr)
        return 1
