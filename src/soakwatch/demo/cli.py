"""``soakwatch demo``: a simulated tick pipeline against a running stack, with named faults on a schedule."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nats.errors import NoServersError

from soakwatch.demo import connection, manifest
from soakwatch.demo.abort import LiveAbort
from soakwatch.demo.faults import describe_kinds, parse_faults
from soakwatch.demo.progress import Progress
from soakwatch.demo.run import DemoRun, DemoSettings, PipelineStartError
from soakwatch.demo.ticks import DEFAULT_SYMBOLS
from soakwatch.demo.timeseries import DEFAULT_URL, TYPES
from soakwatch.errors import ConfigError
from soakwatch.natsconn import add_nats_arguments, connect_options, redact_url
from soakwatch.options import CommandParser, env_flag, env_switch, positive_float
from soakwatch.runid import RUN_ID_ENV, RUN_ID_FLAG, check_run_id
from soakwatch.stack import discover, state
from soakwatch.stack.state import DEFAULT_STATE_DIR, STATE_DIR_ENV

DEMO_DIR = "demo"
DEFAULT_PROMETHEUS = "http://127.0.0.1:9090"
_SYMBOL = re.compile(r"[A-Za-z0-9_-]+")
FAULTS_ENV, SYMBOLS_ENV = "SOAK_DEMO_FAULTS", "SOAK_TICK_SYMBOLS"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a simulated soak against the local stack (start it with `soakwatch up`): ticks on "
                    "market.tick.<SYMBOL>, and harvest, signal, broker and report as supervised OS processes.",
        epilog="faults (--fault KIND:TARGET@START[+DURATION][=VALUE], e.g. kill:signal@50%, "
               "stall:signals@2m+3m, corrupt:ticks@1m+30s, drop:harvester@3m, slow:sink-sqlite@2m+1m=0.2):\n"
               + describe_kinds() + "\n\nexit codes: 0 the run lasted its --minutes, 1 the pipeline could not start "
               "(or a demo already runs from this state folder, or --abort-on-fail stopped it), 2 bad flags or "
               "fault specs, 130 cut short by SIGINT "
               "(Ctrl-C), 143 by SIGTERM (both stop the pipeline in order and write the run manifest first)")
    env_flag(parser, "--minutes", env="SOAK_DEMO_MINUTES", default=3.0, type=positive_float,
             help="length of the run, after the pipeline is up and warmed up")
    env_flag(parser, "--warmup", env="SOAK_DEMO_WARMUP", default=10.0, type=_seconds,
             help="seconds the ticks flow after every process reported healthy, before the run and its window "
                  "start (start-up memory is not growth)")
    env_flag(parser, "--rate", env="SOAK_TICK_RATE", default=6000.0, type=positive_float, help="ticks per second")
    parser.add_argument("--symbols", nargs="+", default=os.environ.get(SYMBOLS_ENV, " ".join(DEFAULT_SYMBOLS)).split(),
                        help=f"symbols, round-robin [env {SYMBOLS_ENV}, space-separated; default "
                             f"{' '.join(DEFAULT_SYMBOLS)}]")
    parser.add_argument("--fault", action="append", default=None, metavar="SPEC",
                        help=f"a fault (repeatable) [env {FAULTS_ENV}, space-separated specs]")
    env_flag(parser, "--state-dir", env=STATE_DIR_ENV, default=DEFAULT_STATE_DIR,
             help="state folder; the demo writes under <state>/demo/ (its pid in <state>/demo/supervisor.pid)")
    env_flag(parser, RUN_ID_FLAG, env=RUN_ID_ENV, dest="run_id",
             help="id of the run (1-64 of A-Z a-z 0-9 . _ -), in the run manifest and the workers' environment; "
                  "default: the run id of the stack running from --state-dir (the run_id label of its series), "
                  "else the UTC start time and a random suffix, e.g. 20261130T162200Z-3fa9")
    env_flag(parser, "--pushgateway-url", "--timeseries-url", env="TIMESERIES_URL", default=DEFAULT_URL,
             dest="timeseries_url", help="where the reporter exports (a Pushgateway, or an InfluxDB write URL)")
    env_flag(parser, "--timeseries-type", env="TIMESERIES_TYPE", default="prometheus", choices=TYPES,
             help="the reporter's export backend")
    _worker_flags(parser)
    _abort_flags(parser)
    add_nats_arguments(parser)
    return parser


def _abort_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("live verdict (--abort-on-fail)")
    env_switch(group, "--abort-on-fail", env="SOAK_DEMO_ABORT_ON_FAIL",
               help="watch the live verdict (verify-soak --watch) and stop the run in order, exit 1, as soon as "
                    "a criterion can no longer pass")
    env_flag(group, "--prometheus-url", env="PROMETHEUS_URL",
             help="Prometheus the live verdict reads (default: the stack's of --state-dir, else "
                  f"{DEFAULT_PROMETHEUS})")
    env_flag(group, "--live-every", env="SOAK_DEMO_LIVE_EVERY", default=30.0, type=positive_float,
             help="seconds between the live verdict's evaluations")


def _watcher(args: argparse.Namespace) -> LiveAbort | None:
    """The live verdict of ``--abort-on-fail``, reading the stack's Prometheus unless a URL is given."""
    if not args.abort_on_fail:
        return None
    stack = state.read_state(Path(args.state_dir).resolve()) or {}
    port = (stack.get("ports") or {}).get("prometheus")
    url = args.prometheus_url or (f"http://127.0.0.1:{port}" if port else DEFAULT_PROMETHEUS)
    return LiveAbort(url, args.live_every, args.minutes * 60.0)


def _seconds(text: str) -> float:
    """argparse type: a number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return value


def _worker_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pipeline timing (shorter in tests)")
    env_flag(group, "--heartbeat-interval", env="SOAK_DEMO_HEARTBEAT_INTERVAL", default=10.0, type=positive_float,
             help="seconds between heartbeats of each process")
    env_flag(group, "--stats-interval", env="SOAK_DEMO_STATS_INTERVAL", default=5.0, type=positive_float,
             help="seconds between harvester stats")
    env_flag(group, "--export-interval", env="SOAK_DEMO_EXPORT_INTERVAL", default=60.0, type=positive_float,
             help="seconds between the reporter's exports")
    env_flag(group, "--signal-every", env="SOAK_DEMO_SIGNAL_EVERY", default=100, type=int,
             help="ticks of one symbol per signal")


def settings_from(args: argparse.Namespace) -> DemoSettings:
    specs = args.fault if args.fault is not None else os.environ.get(FAULTS_ENV, "").split()
    faults = parse_faults(specs, args.minutes * 60.0)
    for symbol in args.symbols:
        if not _SYMBOL.fullmatch(symbol):
            raise ConfigError("--symbols", f"must be NATS subject tokens of letters, digits, - and _, got {symbol!r}")
    if args.signal_every < 1:
        raise ConfigError("--signal-every", f"must be >= 1, got {args.signal_every}")
    worker_args = ("--heartbeat-interval", str(args.heartbeat_interval), "--stats-interval",
                   str(args.stats_interval), "--export-interval", str(args.export_interval),
                   "--signal-every", str(args.signal_every))
    return DemoSettings(
        run_id=check_run_id(args.run_id), demo_dir=Path(args.state_dir).resolve() / DEMO_DIR,
        minutes=args.minutes, rate=args.rate,
        symbols=tuple(args.symbols), faults=tuple(faults), nats_url=str(args.nats_url).split(",")[0].strip(),
        timeseries={"type": args.timeseries_type, "url": redact_url(args.timeseries_url)},
        worker_args=worker_args, warmup=args.warmup)


def worker_env(args: argparse.Namespace, run_id: str) -> dict[str, str]:
    """The workers' environment: the run id, NATS credentials and the export target (never on a command line)."""
    env = dict(os.environ)
    env.update(TIMESERIES_TYPE=args.timeseries_type, TIMESERIES_URL=args.timeseries_url, NATS_URL=args.nats_url)
    env[RUN_ID_ENV] = run_id
    secrets = {"NATS_USER": args.user, "NATS_PASSWORD": args.password, "NATS_TOKEN": args.token,
               "NATS_PASSWORD_FILE": args.password_file, "NATS_TOKEN_FILE": args.token_file,
               "NATS_CREDS": args.creds, "NATS_NKEY": args.nkey, "NATS_TLS_CA": args.tls_ca,
               "NATS_TLS_CERT": args.tls_cert, "NATS_TLS_KEY": args.tls_key}
    env.update({key: str(value) for key, value in secrets.items() if value})
    return env


async def _run(run: DemoRun) -> dict[str, Any]:
    """The run with SIGINT/SIGTERM as a graceful stop; the handlers in place before are back afterwards."""
    loop = asyncio.get_running_loop()
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in before:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, run.stop, sig)
    try:
        return await run.run()
    finally:
        for sig, handler in before.items():
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
                signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None, prog: str | None = "soakwatch demo") -> int:
    parser = build_parser(prog)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    ports = discover.running_ports(args.state_dir)
    _urls_from_stack(args, argv, ports or {})
    _run_id_from_stack(args, prog)
    try:
        settings = settings_from(args)
        run = DemoRun(settings, connect_options(args), worker_env(args, settings.run_id), Progress(settings.seconds),
                      _watcher(args))
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if state.read_state(Path(args.state_dir).resolve()) is None:
        print(f"{prog}: note: no stack started from {Path(args.state_dir).resolve()} (`soakwatch up`): the soak "
              "exporter reads the sinks and the run manifest from its own state folder", file=sys.stderr)
    try:
        final = asyncio.run(_run(run))
    except PipelineStartError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (NoServersError, TimeoutError, OSError) as exc:
        reason = str(exc) or f"no answer within {connection.CONNECT_TIMEOUT:g} s"
        print(f"{prog}: cannot connect to NATS at {redact_url(args.nats_url)}: {reason}; "
              "is the stack up (`soakwatch up`)?", file=sys.stderr)
        return 1
    _print_summary(final, run.manifest_path, discover.url(ports or {}, "prometheus"))
    if run.aborted is not None:
        print(f"{prog}: stopped early by the live verdict: {run.aborted}", file=sys.stderr)
        return 1
    return 128 + run.stopped_by if run.stopped_by else 0


def _urls_from_stack(args: argparse.Namespace, argv: list[str], ports: dict[str, int]) -> None:
    """NATS and the Pushgateway of the stack running from --state-dir, unless a flag or variable chose them."""
    nats_url = discover.url(ports, "nats")
    if nats_url and not discover.given(argv, ["--nats-url"], "NATS_URL"):
        args.nats_url = nats_url
    gateway = discover.url(ports, "pushgateway")
    if gateway and not discover.given(argv, ["--pushgateway-url", "--timeseries-url"], "TIMESERIES_URL"):
        args.timeseries_url = gateway


def _run_id_from_stack(args: argparse.Namespace, prog: str | None) -> None:
    """The running stack's run id unless a flag or variable chose one (then a note when they differ)."""
    stack_run = discover.running_identity(args.state_dir).get("run_id")
    if not args.run_id:
        args.run_id = stack_run
    elif stack_run and args.run_id != stack_run:
        print(f"{prog}: note: run id {args.run_id} differs from the stack's {stack_run}: the series Prometheus "
              f"scrapes for this run carry run_id={stack_run}", file=sys.stderr)


def _print_summary(final: dict[str, Any], path: Path, prometheus_url: str | None) -> None:
    restarts = {role: p["restart_count"] for role, p in final["status"]["processes"].items()}
    print(f"demo: run {final['run_id']} {final['status']['state']}; restarts {restarts}; "
          f"backoff {final['restart_backoff_pattern']}; shutdown order {' -> '.join(final['shutdown_order'])}")
    print(f"demo: run manifest {path}")
    since, until = manifest.verify_window(final, manifest.DEFAULT_SCRAPE_SECONDS)
    where = f" --prometheus-url {prometheus_url}" if prometheus_url else ""
    print(f"demo: verify with: verify-soak --since {since} --until {until:.3f}{where} --run-manifest {path} "
          f"  # for a {manifest.DEFAULT_SCRAPE_SECONDS:g} s scrape interval")
