"""``soakwatch bench pubsub|request|jetstream|compare``: flags, the run, its outputs and exit codes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nats.errors

from soakwatch.bench.budgets import load_budgets
from soakwatch.bench.compare import BadReportError, compare, parse_limit
from soakwatch.bench.compare_markdown import render_markdown
from soakwatch.bench.compare_text import parameter_notes, render_text
from soakwatch.bench.config import DEFAULT_MSGS, BenchConfig
from soakwatch.bench.jetstream import JetStreamBench
from soakwatch.bench.pubsub import PubSubBench
from soakwatch.bench.push import push_report
from soakwatch.bench.report import build_report, render_table, write_json
from soakwatch.bench.request import RequestBench
from soakwatch.bench.resources import default_monitor_url, fetch_varz
from soakwatch.bench.runner import BenchConnectError, connector, measure
from soakwatch.bench.spec import load_spec
from soakwatch.errors import ConfigError
from soakwatch.natsconn import add_nats_arguments, connect_options, redact_url
from soakwatch.options import CommandParser, env_flag, positive_float

BENCHES: dict[str, Callable[..., Any]] = {"pubsub": PubSubBench, "request": RequestBench, "jetstream": JetStreamBench}
# the figure that must be measured for a run to count
_MAIN_FIGURE = {"pubsub": "msgs_per_sec", "request": "requests_per_sec", "jetstream": "msgs_per_sec"}
_FORMATS = ("text", "markdown")
_EPILOG = "exit codes: 0 done, 1 the run failed or the push failed, 2 bad flags or NATS unreachable"


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be >= {minimum}")
        return value

    parse.__name__ = f"int>={minimum}"
    return parse


def _limit(text: str) -> float:
    try:
        return parse_limit(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(exc.rule) from None


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("benchmark")
    env_flag(group, "--msgs", env="SOAK_BENCH_MSGS", type=_count(1), metavar="N",
             help=f"messages per repeat, split across clients (default {DEFAULT_MSGS} unless --duration is given)")
    env_flag(group, "--size", env="SOAK_BENCH_SIZE", default=128, type=_count(8), metavar="BYTES",
             help="payload bytes per message (>= 8: the send timestamp)")
    env_flag(group, "--clients", env="SOAK_BENCH_CLIENTS", default=1, type=_count(1), metavar="N",
             help="concurrent publishers/requesters, one connection each")
    env_flag(group, "--rate", env="SOAK_BENCH_RATE", type=positive_float, metavar="R",
             help="total messages/s, paced open loop; latency counts from the intended send time")
    env_flag(group, "--duration", env="SOAK_BENCH_DURATION", type=positive_float, metavar="S",
             help="seconds per repeat (stops earlier when --msgs are sent)")
    env_flag(group, "--repeats", env="SOAK_BENCH_REPEATS", default=3, type=_count(1), metavar="N",
             help="measured repeats; each figure is reported as min/median/p95 across them")
    env_flag(group, "--warmup", env="SOAK_BENCH_WARMUP", default=1000, type=_count(0), metavar="N",
             help="messages sent before the first repeat and not measured")
    env_flag(group, "--seed", env="SOAK_BENCH_SEED", default=1337, type=int, metavar="N",
             help="seed of the payload bytes")
    env_flag(group, "--timeout", env="SOAK_BENCH_TIMEOUT", default=5.0, type=positive_float, metavar="S",
             help="seconds to wait for a reply, an ack or the last messages of a repeat")
    group = parser.add_argument_group("outputs")
    env_flag(group, "--out", env="SOAK_BENCH_OUT", type=Path, metavar="PATH",
             help="write the JSON report here instead of stdout")
    env_flag(group, "--push-gateway", env="SOAK_BENCH_PUSH_GATEWAY", metavar="URL",
             help="also push the figures to this Pushgateway (job soak_bench)")
    env_flag(group, "--nats-monitor-url", env="NATS_MONITOR_URL", metavar="URL",
             help="nats-server monitoring URL for server CPU/RSS from /varz; 'none' to skip "
                  "(default: host of --nats-url, port 8222)")
    add_nats_arguments(parser)


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = CommandParser(prog=prog, description="Benchmark NATS communication patterns.", epilog=_EPILOG)
    modes = parser.add_subparsers(dest="mode", metavar="{pubsub,request,jetstream,compare}", required=True)
    pubsub = modes.add_parser("pubsub", help="publish-to-receive latency and throughput", epilog=_EPILOG)
    request = modes.add_parser("request", help="request/reply latency and requests/s", epilog=_EPILOG)
    jetstream = modes.add_parser("jetstream", help="JetStream publish throughput and ack latency", epilog=_EPILOG)
    for sub in (pubsub, request, jetstream):
        _add_run_flags(sub)
    env_flag(request, "--responders", env="SOAK_BENCH_RESPONDERS", default=1, type=_count(1), metavar="N",
             help="responders in the queue group, one connection each")
    env_flag(jetstream, "--batch", env="SOAK_BENCH_BATCH", default=100, type=_count(1), metavar="N",
             help="async publishes in flight per client before waiting for their acks")
    env_flag(jetstream, "--stream", env="SOAK_BENCH_STREAM", metavar="NAME",
             help="stream name (default: a new SOAKBENCH_<random> stream)")
    jetstream.add_argument("--keep-stream", action="store_true", help="keep the stream after the run")
    _add_compare_parser(modes)
    return parser


def _add_compare_parser(modes: Any) -> None:
    compare = modes.add_parser(
        "compare", help="exit 1 when a figure of CURRENT regressed against BASELINE or a budget is breached",
        epilog="exit codes: 0 no regression and every budget met, 1 a figure regressed more than allowed, a "
               "budget was breached or no figure was measured in both reports, 2 bad flags, config files or input "
               "files (NaN, infinity, wrong types, nesting too deep)",
    )
    compare.add_argument("baseline", type=Path, metavar="BASELINE", help="JSON report of the baseline")
    compare.add_argument("current", type=Path, metavar="CURRENT", help="JSON report to check")
    env_flag(compare, "--max-regression", env="SOAK_BENCH_MAX_REGRESSION", default="10%", type=_limit,
             help="largest allowed change for the worse, per figure (nested figures by their median)")
    compare.add_argument("--ignore", action="append", default=[], metavar="FIGURE",
                         help="do not compare this figure (repeatable), e.g. server_cpu_percent")
    env_flag(compare, "--spec", env="SOAK_BENCH_SPEC", type=Path, metavar="PATH",
             help="YAML/JSON file naming figures (better: higher|lower, compare: STAT), parameters and ignored keys")
    compare.add_argument("--budget", action="append", default=[], metavar="EXPR",
                         help="absolute budget on CURRENT, e.g. 'candles_per_sec.min>=833' (repeatable)")
    env_flag(compare, "--budget-file", env="SOAK_BENCH_BUDGET_FILE", type=Path, metavar="PATH",
             help="YAML/JSON file with a list of budgets under 'budgets:'")
    env_flag(compare, "--format", env="SOAK_BENCH_FORMAT", default="text", choices=_FORMATS,
             help="text: one line per figure; markdown: a performance report")


def _run_compare(args: argparse.Namespace) -> int:
    if args.format not in _FORMATS:  # argparse checks the flag's value, not the environment variable's
        raise ConfigError("--format [env SOAK_BENCH_FORMAT]", f"must be one of {', '.join(_FORMATS)}, "
                                                               f"got {args.format!r}")
    spec, budgets = load_spec(args.spec), load_budgets(args.budget, args.budget_file)
    result = compare(args.baseline, args.current, args.max_regression, spec, args.ignore, budgets)
    for line in parameter_notes(result):
        print(line, file=sys.stderr)
    sys.stdout.write(render_markdown(result) if args.format == "markdown" else render_text(result))
    return result.exit_code


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch bench") -> int:
    """Entry point; returns the exit code."""
    try:
        args = build_parser(prog).parse_args(argv)
    except argparse.ArgumentTypeError as exc:  # raised while reading a SOAK_BENCH_* environment variable
        print(f"{prog}: invalid environment variable value: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if args.mode == "compare":
            return _run_compare(args)
        return _run(args)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except (BadReportError, BenchConnectError) as exc:
        print(exc, file=sys.stderr)
        return 2


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    msgs = args.msgs if args.msgs is not None or args.duration is not None else DEFAULT_MSGS
    return BenchConfig(
        mode=args.mode, msgs=msgs, size=args.size, clients=args.clients, rate=args.rate, duration=args.duration,
        repeats=args.repeats, warmup=args.warmup, seed=args.seed, timeout=args.timeout,
        responders=getattr(args, "responders", 1), batch=getattr(args, "batch", 100),
        keep_stream=getattr(args, "keep_stream", False), stream=getattr(args, "stream", None),
    )


def _run(args: argparse.Namespace) -> int:
    config, options = config_from_args(args), connect_options(args)
    monitor_url, server_version = _monitor(args)
    context = {"nats_url": ",".join(redact_url(url) for url in options["servers"]),
               "nats_monitor_url": monitor_url, "server_version": server_version}
    bench = BENCHES[config.mode](config, connector(options, config.timeout))
    try:
        runs, extra = asyncio.run(measure(bench, config, monitor_url if server_version else None))
    except (nats.errors.Error, TimeoutError) as exc:
        print(f"soakwatch bench: {config.mode} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    report = build_report(config, runs, extra, context)
    write_json(report, args.out, sys.stdout)
    if sys.stderr.isatty():
        sys.stderr.write(render_table(report))
    return _push(report, args.push_gateway) or _check_measured(report)


def _monitor(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The monitoring URL and the server version from /varz; a warning and no server figures when unreachable."""
    url = args.nats_monitor_url or default_monitor_url(args.nats_url)
    if url.lower() == "none":
        return None, None
    try:
        return url, str(fetch_varz(url).get("version") or "unknown")
    except (OSError, ValueError) as exc:
        print(f"soakwatch bench: no nats-server /varz at {url} ({exc}); server CPU/RSS will be null "
              "(set --nats-monitor-url)", file=sys.stderr)
        return url, None


def _push(report: dict[str, Any], gateway: str | None) -> int:
    if not gateway:
        return 0
    try:
        push_report(report, gateway)
    except Exception as exc:
        print(f"soakwatch bench: push to {redact_url(gateway)} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def _check_measured(report: dict[str, Any]) -> int:
    name = _MAIN_FIGURE[report["mode"]]
    if report.get(name) is None:
        print(f"soakwatch bench: no {name} measured: no message completed in any repeat", file=sys.stderr)
        return 1
    return 0
