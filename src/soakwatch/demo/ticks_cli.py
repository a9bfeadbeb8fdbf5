"""``soakwatch ticks``: publish a paced synthetic tick stream (load for the probe, or a smoke test)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from nats.errors import NoServersError

from soakwatch.demo.connection import CONNECT_TIMEOUT, connect
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
    env_flag(parser, "--connect-timeout", env="SOAK_TICK_CONNECT_TIMEOUT", default=CONNECT_TIMEOUT,
             type=positive_float, help="seconds to wait for the first NATS connection (at most --duration)")
    env_flag(parser, "--count", env="SOAK_TICK_COUNT", type=int, help="stop after this many ticks")
    parser.add_argument("--symbols", nargs="+", default=list(DEFAULT_SYMBOLS), help="symbols, round-robin")
    add_nats_arguments(parser)
    return parser


def _connect_timeout(args: argparse.Namespace) -> float:
    """The first connection may take --connect-timeout, and never longer than the whole --duration."""
    return float(min(args.connect_timeout, args.duration or args.connect_timeout))


async def _publish(args: argparse.Namespace) -> int:
    client = await connect(connect_options(args), "soakwatch-ticks", timeout=_connect_timeout(args))
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
        timed_out = isinstance(exc, TimeoutError)
        reason = f"no answer within {_connect_timeout(args):g} s" if timed_out else str(exc) or type(exc).__name__
        print(f"ticks: cannot connect to NATS at {redact_url(args.nats_url)}: {reason}", file=sys.stderr)
        return 1
