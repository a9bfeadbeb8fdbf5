"""``nats-throughput-probe`` / ``soakwatch probe``: live tick rate and latency of a NATS stream."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nats.errors import NoServersError
from prometheus_client import CollectorRegistry, start_http_server

from soakwatch.contract import TICK_SUBJECT
from soakwatch.errors import SoakwatchError
from soakwatch.exporters.probe.bar import DEFAULT_MAX_PARSE_GAP_RATIO, DEFAULT_MIN_RATE, PassBar
from soakwatch.exporters.probe.metrics import ProbeCollector
from soakwatch.exporters.probe.nats import close, connect, subscribe
from soakwatch.exporters.probe.output import FORMATS, ReportWriter, render
from soakwatch.exporters.probe.state import Probe, Report
from soakwatch.exporters.probe.ticks import DEFAULT_TS_FIELDS, TS_UNITS, TickReader
from soakwatch.exporters.shared.outputs import add_output_arguments, start_outputs
from soakwatch.natsconn import add_nats_arguments, connect_options, redact_url
from soakwatch.options import env_flag, host_port, positive_float

FOLD_INTERVAL = 1.0  # seconds between moves of latencies into the exposed histogram
log = logging.getLogger("soakwatch.probe")

_EPILOG = """\
examples:
  nats-throughput-probe --duration 60 --format json --out summary.json
  nats-throughput-probe --subject 'market.tick.BTCUSDT' --seq-field seq --web.listen-address :9464
  nats-throughput-probe --queue probes --metrics-port 9464   # one of several replicas

The event time comes from the Soak-Ts header (ns since epoch) when present,
else from the first JSON field found of --ts-field. Latency = receive time -
event time. Ticks that are not JSON or carry no usable timestamp are parse
gaps, counted by reason. The summary states the runbook's pass bar (>= 5,000
msgs/s, < 0.1% parse gaps, connected throughout) with a mark per item.
Exit status: 0 after the summary (with --check: only when it meets the bar),
1 when the bar was missed with --check, when NATS cannot be reached, or when a
signal stopped the probe before it connected; 2 on bad flags."""


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, epilog=_EPILOG,
                                     description="Measure the rate and publish-to-receive latency of a NATS "
                                     "tick stream, live, as window lines, a summary and Prometheus metrics.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subject", action="append", help=f"subject to watch, repeatable [default {TICK_SUBJECT}]")
    env_flag(parser, "--queue", env="SOAK_PROBE_QUEUE", default="",
             help="join this queue group so several probes split one stream")
    env_flag(parser, "--window", env="SOAK_PROBE_WINDOW", default=5.0, type=positive_float,
             help="seconds per window line")
    env_flag(parser, "--duration", env="SOAK_PROBE_DURATION", type=positive_float,
             help="stop after this many seconds (default: until SIGINT/SIGTERM)")
    env_flag(parser, "--format", env="SOAK_PROBE_FORMAT", default="text", choices=FORMATS,
             help="output format of window lines and the summary")
    env_flag(parser, "--out", env="SOAK_PROBE_OUT", help="also write the final summary to this file")
    _add_tick_arguments(parser)
    _add_bar_arguments(parser)
    _add_metrics_arguments(parser)
    add_nats_arguments(parser)
    add_output_arguments(parser)
    return parser


def _add_tick_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("tick payloads")
    env_flag(group, "--ts-field", env="SOAK_PROBE_TS_FIELD", default=",".join(DEFAULT_TS_FIELDS),
             help="JSON field(s) holding the event time, comma-separated, first found wins")
    env_flag(group, "--ts-unit", env="SOAK_PROBE_TS_UNIT", choices=sorted(TS_UNITS),
             help="unit of the JSON timestamp (default: from the field name, else from its magnitude)")
    env_flag(group, "--seq-field", env="SOAK_PROBE_SEQ_FIELD",
             help="JSON field with a per-subject sequence number; turns on sequence gap counting")


def _add_bar_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pass bar (judged on the summary, shown in it)")
    group.add_argument("--check", action="store_true",
                       help="exit 1 when the summary misses the pass bar (default: exit 0 after any summary)")
    env_flag(group, "--min-rate", env="SOAK_PROBE_MIN_RATE", default=DEFAULT_MIN_RATE, type=positive_float,
             help="pass bar: mean msgs/s over the run")
    env_flag(group, "--max-parse-gap-ratio", env="SOAK_PROBE_MAX_PARSE_GAP_RATIO",
             default=DEFAULT_MAX_PARSE_GAP_RATIO, type=positive_float,
             help="pass bar: parse gaps must stay below this share of messages")


def _add_metrics_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Prometheus metrics and client tuning")
    env_flag(group, "--web.listen-address", env="SOAK_PROBE_LISTEN", dest="listen", type=host_port,
             help="serve /metrics on HOST:PORT (e.g. :9464)")
    env_flag(group, "--metrics-port", env="SOAK_PROBE_METRICS_PORT", type=int,
             help="serve /metrics on 0.0.0.0:PORT (same as --web.listen-address)")
    env_flag(group, "--connect-timeout", env="SOAK_PROBE_CONNECT_TIMEOUT", type=positive_float, default=10.0,
             help="seconds to wait for the first connection before giving up (exit 1)")
    group.add_argument("--no-fast-path", dest="fast_path", action="store_false",
                       help="use nats-py's ordinary callback path instead of the zero-copy one")
    env_flag(group, "--pending-msgs-limit", env="SOAK_PROBE_PENDING_MSGS_LIMIT", type=int, default=512 * 1024,
             help="client buffer (messages) of the ordinary path before it drops (slow consumer)")


def _reader(args: argparse.Namespace) -> TickReader:
    fields = tuple(name.strip() for name in args.ts_field.split(",") if name.strip())
    if not fields:
        raise SoakwatchError("probe: --ts-field must name at least one field")
    return TickReader(ts_fields=fields, ts_unit=args.ts_unit, seq_field=args.seq_field)


def _listen_address(args: argparse.Namespace) -> tuple[str, int] | None:
    if args.metrics_port is not None:
        return ("0.0.0.0", args.metrics_port)
    listen: tuple[str, int] | None = args.listen
    return listen


async def run_probe(args: argparse.Namespace, writer: ReportWriter) -> Report:
    """Run until ``--duration`` or a signal; writes the window lines and the summary; returns the summary."""
    probe = Probe(_reader(args))
    registry = CollectorRegistry()
    registry.register(ProbeCollector(probe))
    address = _listen_address(args)
    if address is not None:
        start_http_server(address[1], address[0], registry=registry)
    outputs = start_outputs(registry, args, "soakwatch-probe")
    stop = _stop_on_signals()
    try:
        client = await _connect_unless_stopped(probe, args, stop)
        try:
            await subscribe(client, probe, args.subject or [TICK_SUBJECT], args.queue, args.fast_path,
                            args.pending_msgs_limit)
            await _window_loop(probe, args, writer, stop)
            summary = _judged(probe.summary(), args)
        finally:
            with contextlib.suppress(Exception):
                await close(client, probe)
    finally:
        outputs.stop()
    writer.write(summary)
    return summary


class StoppedWhileConnecting(SoakwatchError):
    """SIGINT/SIGTERM arrived before the first NATS connection: nothing was measured."""


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _connect_unless_stopped(probe: Probe, args: argparse.Namespace, stop: asyncio.Event) -> Any:
    connecting = asyncio.ensure_future(connect(probe, connect_options(args), args.connect_timeout))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if connecting.done():
        return connecting.result()
    connecting.cancel()
    with contextlib.suppress(BaseException):
        await connecting
    raise StoppedWhileConnecting("probe: stopped by a signal while connecting to NATS; nothing was measured")


async def _window_loop(probe: Probe, args: argparse.Namespace, writer: ReportWriter, stop: asyncio.Event) -> None:
    start = time.monotonic()
    deadline = start + args.duration if args.duration else float("inf")
    next_window = start + args.window
    while True:
        now = time.monotonic()
        wait = max(0.0, min(FOLD_INTERVAL, next_window - now, deadline - now))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        now = time.monotonic()
        if stop.is_set() or now >= deadline:
            break
        probe.fold()
        if now >= next_window:
            writer.write(probe.roll_window())
            next_window += args.window * max(1, int((now - next_window) // args.window) + 1)
    if probe.window_has_messages():  # the last, partial window
        writer.write(probe.roll_window())


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the probe; prints window lines and the summary; 0 on a clean stop."""
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        summary = asyncio.run(run_probe(args, ReportWriter(sys.stdout, args.format)))
    except (NoServersError, TimeoutError) as exc:
        reason = str(exc) or f"no connection within {args.connect_timeout:g} s"
        print(f"probe: cannot connect to NATS at {_urls(args)}: {reason}", file=sys.stderr)
        return 1
    except StoppedWhileConnecting as exc:
        print(f"{exc} (NATS at {_urls(args)})", file=sys.stderr)
        return 1
    except SoakwatchError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).write_text(render(summary, args.format))
    failed = args.check and summary.pass_bar is not None and not summary.pass_bar["pass"]
    return 1 if failed else 0


def _judged(summary: Report, args: argparse.Namespace) -> Report:
    bar = PassBar(args.min_rate, args.max_parse_gap_ratio)
    return dataclasses.replace(summary, pass_bar=bar.judge(summary.as_dict()))


def _urls(args: argparse.Namespace) -> str:
    return ", ".join(redact_url(url) for url in str(args.nats_url).split(","))


def run() -> None:
    """Console-script wrapper for ``nats-throughput-probe``."""
    sys.exit(main())
