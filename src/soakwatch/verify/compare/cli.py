"""``verify-soak compare``: judge a candidate run against baseline runs, from bundles or a store, and report."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from soakwatch import __version__
from soakwatch.errors import ConfigError
from soakwatch.options import CommandParser, env_flag
from soakwatch.verify.cli import add_store_flags, guarded, store_auth, window_end
from soakwatch.verify.compare import config, inputs, outputs
from soakwatch.verify.compare.comparison import compare
from soakwatch.verify.compare.series import Side
from soakwatch.verify.promapi import PromClient
from soakwatch.verify.querier import QueryLog
from soakwatch.verify.runs import resolve
from soakwatch.verify.scope import from_flags
from soakwatch.verify.window import Window, parse_duration, parse_tz

PROG = "verify-soak compare"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog, description="Compare a candidate soak run with one or more baseline runs (three or more "
                               "recommended), metric by metric on per-step samples: a regression is worse than "
                               "the baseline by more than the tolerance AND significant by a Mann-Whitney U test. "
                               "Exit 0 no regression, 1 regression, 2 usage or data error (insufficient data).")
    parser.add_argument("--baseline", action="append", default=[], type=Path, metavar="DIR",
                        help="a baseline evidence bundle (verify-soak --out DIR); repeatable")
    env_flag(parser, "--candidate", env="COMPARE_CANDIDATE", type=Path, metavar="DIR",
             help="the candidate's evidence bundle")
    parser.add_argument("--baseline-until", action="append", default=[], metavar="TIME",
                        help="end of a baseline window in the store (RFC 3339 or unix seconds); repeatable")
    env_flag(parser, "--baseline-since", env="COMPARE_BASELINE_SINCE", default="60m",
             help="length of each baseline window in the store (Prometheus duration)")
    env_flag(parser, "--candidate-until", env="COMPARE_CANDIDATE_UNTIL", metavar="TIME",
             help="end of the candidate window in the store (default now, when --candidate is not given)")
    env_flag(parser, "--candidate-since", env="COMPARE_CANDIDATE_SINCE", default="60m",
             help="length of the candidate window in the store (Prometheus duration)")
    env_flag(parser, "--baseline-url", env="COMPARE_BASELINE_URL", help="store of the baselines (default "
                                                                         "--prometheus-url)")
    env_flag(parser, "--candidate-url", env="COMPARE_CANDIDATE_URL", help="store of the candidate (default "
                                                                           "--prometheus-url)")
    add_store_flags(parser)
    _scope_flags(parser)
    env_flag(parser, "--step", env="COMPARE_STEP", default="60s",
             help="sample step of store windows: one sample per metric and process per step (Prometheus duration)")
    env_flag(parser, "--criteria", env="VERIFY_CRITERIA", type=Path,
             help="criteria YAML; its compare: section sets tolerance, alpha, min_samples and metrics")
    env_flag(parser, "--format", env="VERIFY_FORMAT", default="text", choices=sorted(outputs.FORMATTERS),
             help="output on stdout")
    env_flag(parser, "--out", env="VERIFY_OUT", type=Path, help="write the comparison bundle to this directory")
    env_flag(parser, "--tz", env="REPORT_TZ", default="UTC", help="report timezone, e.g. Asia/Tokyo")
    env_flag(parser, "--timeout", env="VERIFY_TIMEOUT", default=30.0, type=float, help="per-query timeout, seconds")
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    return parser


def _scope_flags(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_argument_group(
        "scope of store windows (docs/scoping.md)", "every query of a store window carries these label matchers; "
        "a window holding several pipelines or runs and no scope: exit 2, listing them")
    env_flag(scope, "--pipeline", env="SOAK_PIPELINE", metavar="NAME", help='only series with pipeline="NAME"')
    env_flag(scope, "--candidate-run-id", env="COMPARE_CANDIDATE_RUN_ID", metavar="ID",
             help='the candidate window: only series with run_id="ID"')
    scope.add_argument("--baseline-run-id", action="append", default=[], metavar="ID",
                       help='a baseline window: only series with run_id="ID"; repeatable, one per --baseline-until '
                            "in the same order")
    env_flag(scope, "--selector", env="SOAK_SELECTOR", metavar="'{...}'",
             help="""more label matchers for every side, '{label="value",...}' with = != =~ !~""")


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    return guarded(lambda: build_parser(prog), list(sys.argv[1:] if argv is None else argv), _compare, prog)


def _compare(args: argparse.Namespace) -> int:
    settings = config.load(args.criteria)
    tz = parse_tz(args.tz)
    step = parse_duration(args.step, "--step")  # flags are checked before any store is asked
    log = QueryLog()
    baselines = _baselines(args, settings, step, log)
    candidate = _candidate(args, settings, step, log)
    inputs.same_step([*baselines, candidate])
    result = compare(baselines, candidate, settings)
    if args.out:
        outputs.write_bundle(args.out, result, tz, log)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(outputs.FORMATTERS[args.format](result, tz, color=color))
    return result.exit_code


def _baselines(args: argparse.Namespace, settings: config.CompareSettings, step: float,
               log: QueryLog) -> list[Side]:
    sides = [inputs.from_bundle(path, "--baseline") for path in args.baseline]
    if args.baseline_until:
        length = parse_duration(args.baseline_since, "--baseline-since")
        if args.baseline_run_id and len(args.baseline_run_id) != len(args.baseline_until):
            raise ConfigError("--baseline-run-id", f"must be given once per --baseline-until "
                                                   f"({len(args.baseline_until)}), got {len(args.baseline_run_id)}")
        run_ids = args.baseline_run_id or [None] * len(args.baseline_until)
        client = _client(args, args.baseline_url)
        sides += [_from_store(args, client, Window.ending(window_end(text, "--baseline-until"), length), run_id,
                              settings, step, log, f"baseline {i + 1}")
                  for i, (text, run_id) in enumerate(zip(args.baseline_until, run_ids, strict=True))]
    if not sides:
        raise ConfigError("--baseline", "or --baseline-until is required: at least one baseline run "
                                        "(three or more recommended)")
    return sides


def _candidate(args: argparse.Namespace, settings: config.CompareSettings, step: float, log: QueryLog) -> Side:
    if args.candidate and args.candidate_until:
        raise ConfigError("--candidate", "cannot be combined with --candidate-until: one candidate run")
    if args.candidate:
        return inputs.from_bundle(args.candidate, "--candidate")
    window = Window.ending(window_end(args.candidate_until, "--candidate-until"),
                           parse_duration(args.candidate_since, "--candidate-since"))
    client = _client(args, args.candidate_url)
    return _from_store(args, client, window, args.candidate_run_id, settings, step, log, "candidate")


def _from_store(args: argparse.Namespace, client: PromClient, window: Window, run_id: str | None,
                settings: config.CompareSettings, step: float, log: QueryLog, owner: str) -> Side:
    """One store window, scoped to its run (a window of several runs and no scope: refused, listing them)."""
    target = resolve(client, from_flags(args.pipeline, run_id, args.selector), None, window.start, window.end)
    return inputs.from_store(client, window, settings.metrics, step, log, owner, target.scope)


def _client(args: argparse.Namespace, url: str | None) -> PromClient:
    client = PromClient(url or args.prometheus_url, store_auth(args), timeout=args.timeout)
    client.query("vector(1)", time.time())  # reachability and credentials before any metric is queried
    return client

