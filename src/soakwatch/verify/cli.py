"""The ``verify-soak`` command: a verdict on a soak window from Prometheus, and the evidence bundle."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from soakwatch import __version__
from soakwatch.errors import ConfigError
from soakwatch.options import CommandParser, env_flag, env_switch
from soakwatch.stack import discover
from soakwatch.verify import engine
from soakwatch.verify.formats import FORMATTERS
from soakwatch.verify.live import watch_cli as live_cli
from soakwatch.verify.promapi import PrometheusError
from soakwatch.verify.querier import QueryLog
from soakwatch.verify.session import DEFAULT_SINCE, aim, report, scope_flags, select, setup, store_auth
from soakwatch.verify.window import Window, parse_duration, parse_time

__all__ = ["add_scope_flags", "add_store_flags", "build_parser", "guarded", "main", "run", "scope_flags", "select",
           "store_auth", "watch", "window_end"]

PROG = "verify-soak"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog, description="Check every pass criterion of a soak window against Prometheus; exit 0 pass, "
                               "1 a criterion failed, 2 usage/config error or Prometheus unreachable. "
                               "`verify-soak compare --help`: a candidate run against baseline runs.")
    env_flag(parser, "--since", env="VERIFY_SINCE",
             help=f"window length (Prometheus duration; default {DEFAULT_SINCE}); with --watch: the run began "
                  "this long ago, unless --run-start or the run manifest says when")
    env_flag(parser, "--until", env="VERIFY_UNTIL", help="window end, RFC 3339 or unix seconds (default now)")
    add_store_flags(parser)
    env_flag(parser, "--run-manifest", env="SOAK_RUN_MANIFEST", type=Path,
             help="the orchestrator's run_manifest*.json: run id, planned length, symbols, endpoint, backoff")
    add_scope_flags(parser)
    env_flag(parser, "--min-duration", env="VERIFY_MIN_DURATION",
             help="planned run length that run_duration requires (Prometheus duration; default: the criteria "
                  "file's, else the run manifest's, else 60m)")
    env_flag(parser, "--criteria", env="VERIFY_CRITERIA", type=Path,
             help="criteria YAML: thresholds, severities, disabled and custom criteria")
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only these criteria")
    parser.add_argument("--skip", action="append", default=[], metavar="ID", help="skip these criteria")
    parser.add_argument("--strict", action="store_true", help="warnings fail the verdict")
    env_flag(parser, "--format", env="VERIFY_FORMAT", default="text", choices=sorted(FORMATTERS),
             help="output on stdout")
    env_flag(parser, "--out", env="VERIFY_OUT", type=Path, help="write the evidence bundle to this directory")
    env_flag(parser, "--series-step", env="VERIFY_SERIES_STEP", default="60s",
             help="sample step of the bundle's series.json, the per-step samples verify-soak compare judges "
                  "(Prometheus duration)")
    env_flag(parser, "--tz", env="REPORT_TZ", default="UTC", help="report timezone, e.g. Asia/Tokyo")
    env_flag(parser, "--timeout", env="VERIFY_TIMEOUT", default=30.0, type=float, help="per-query timeout, seconds")
    env_flag(parser, "--warmup", env="VERIFY_WARMUP",
             help="exclude this much of the run's start from tick_rate, tick_latency and memory_growth (Prometheus "
                  "duration; the criteria file may set a warm-up per criterion)")
    _watch_flags(parser)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    return parser


def add_store_flags(parser: argparse.ArgumentParser) -> None:
    """``--prometheus-url``, its credentials and TLS options (shared with ``verify-soak compare``)."""
    env_flag(parser, "--prometheus-url", env="PROMETHEUS_URL", default="http://127.0.0.1:9090",
             help="Prometheus (or any Prometheus-API store) base URL; when neither the flag nor the variable is "
                  "set and `soakwatch up` runs from $SOAKWATCH_STATE_DIR (or ./.soakwatch), that stack's")
    env_flag(parser, "--bearer-token-file", env="PROMETHEUS_BEARER_TOKEN_FILE", type=Path,
             help="file holding a bearer token")
    env_flag(parser, "--basic-auth-user", env="PROMETHEUS_BASIC_AUTH_USER", help="basic auth user")
    env_flag(parser, "--basic-auth-password-file", env="PROMETHEUS_BASIC_AUTH_PASSWORD_FILE", type=Path,
             help="file holding the basic auth password")
    env_flag(parser, "--ca-file", env="PROMETHEUS_CA_FILE", type=Path, help="CA bundle for https")
    parser.add_argument("--insecure-skip-verify", action="store_true", help="do not verify the TLS certificate")


def add_scope_flags(parser: argparse.ArgumentParser) -> None:
    """``--pipeline``, ``--run-id`` and ``--selector``: the run every query is scoped to (shared with
    ``verify-soak compare``)."""
    scope = parser.add_argument_group(
        "scope (docs/scoping.md)", "every query of every criterion carries these label matchers; a store holding "
                                   "several pipelines or runs in the window and no scope: exit 2, listing them")
    env_flag(scope, "--pipeline", env="SOAK_PIPELINE", metavar="NAME", help='judge only series with pipeline="NAME"')
    env_flag(scope, "--run-id", env="SOAK_RUN_ID", metavar="ID",
             help='judge only series with run_id="ID" (default: the run manifest\'s run id, when series of the '
                  "window carry run_id labels)")
    env_flag(scope, "--selector", env="SOAK_SELECTOR", metavar="'{...}'",
             help="""more label matchers, '{label="value",...}' with = != =~ !~""")


def _watch_flags(parser: argparse.ArgumentParser) -> None:
    live = parser.add_argument_group("live verdict (--watch)")
    env_switch(live, "--watch", env="VERIFY_WATCH",
               help="judge every criterion each cycle while the run goes, until its planned end or Ctrl-C, then "
                    "write the verdict of the whole run")
    env_flag(live, "--run-start", env="SOAK_RUN_START",
             help="when the run began, RFC 3339 or unix seconds (default: the run manifest's, else now - --since)")
    env_flag(live, "--every", env="VERIFY_EVERY", default="30s", help="seconds between evaluations (duration)")
    env_switch(live, "--abort-on-fail", env="VERIFY_ABORT_ON_FAIL",
               help="stop as soon as a criterion can no longer pass: write the evidence so far, exit 1")
    env_flag(live, "--pushgateway-url", env="VERIFY_PUSHGATEWAY_URL",
             help="push the live states to this Pushgateway each cycle (job soak_verdict)")


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["compare"]:  # a subcommand-like first word; everything else is the verdict as always
        from soakwatch.verify.compare.cli import main as compare_main

        return compare_main(args[1:], prog=f"{prog} compare")
    return guarded(lambda: build_parser(prog), args, _verify_or_watch(prog), prog)


def guarded(make_parser: Callable[[], argparse.ArgumentParser], argv: Sequence[str],
            command: Callable[[argparse.Namespace], int], prog: str) -> int:
    """Parse ``argv`` and run ``command``; usage, config and store errors print one line and exit 2 (a bad
    switch in the environment already when the parser is made)."""
    try:
        args = make_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has printed the message
        return int(exc.code or 0)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if not discover.given(argv, ["--prometheus-url"], "PROMETHEUS_URL"):
        args.prometheus_url = discover.url(discover.running_ports(discover.default_state_dir()) or {},
                                           "prometheus") or args.prometheus_url
    try:
        return command(args)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except PrometheusError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C while the watch writes its verdict
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


MAX_FUTURE_SECONDS = 300.0  # clock skew allowed between this host and the one that gave --until


def window_end(text: str | None, flag: str = "--until") -> float:
    """The window's end: now, or --until, which may not lie in the future (nothing is measured there yet)."""
    now = time.time()
    if not text:
        return now
    until = parse_time(text, flag)
    if until > now + MAX_FUTURE_SECONDS:
        raise ConfigError(flag, f"lies {until - now:.0f} s in the future; a window must end by now "
                                f"(+{MAX_FUTURE_SECONDS:.0f} s of clock skew): {text!r}")
    return until


def _verify_or_watch(prog: str) -> Callable[[argparse.Namespace], int]:
    return lambda args: live_cli.watch_soak(args, prog) if args.watch else _verify(args)


def _verify(args: argparse.Namespace) -> int:
    window = Window.ending(window_end(args.until), parse_duration(args.since or DEFAULT_SINCE))
    settings, client, run_info, tz = setup(args)
    settings, target = aim(settings, client, run_info, window.start, window.end)
    log = QueryLog()
    verdict = engine.run(client, window, settings, log, strict=args.strict)
    verdict.target = target
    return report(args, verdict, settings, log, client, tz, run_info)


def watch(argv: Sequence[str] | None = None, prog: str = "soakwatch watch") -> int:
    """``soakwatch watch``: ``verify-soak --watch``."""
    return main(["--watch", *(sys.argv[1:] if argv is None else argv)], prog)


def run() -> None:
    """Console-script wrapper."""
    sys.exit(main())
