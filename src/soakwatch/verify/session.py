"""One verify-soak session: the criteria in force and a client from the flags; the verdict written out."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from datetime import tzinfo

from soakwatch.errors import ConfigError
from soakwatch.verify import bundle, watched
from soakwatch.verify.compare import config as compare_config
from soakwatch.verify.config import Settings, load_settings, with_planned, with_warmup
from soakwatch.verify.engine import Verdict
from soakwatch.verify.formats import FORMATTERS
from soakwatch.verify.promapi import Auth, PromClient
from soakwatch.verify.querier import QueryLog
from soakwatch.verify.runinfo import RunInfo, load_run_info
from soakwatch.verify.runs import Target, resolve
from soakwatch.verify.scope import Scope, from_flags
from soakwatch.verify.window import parse_duration, parse_tz

DEFAULT_SINCE = "60m"


def select(settings: Settings, only: list[str], skip: list[str]) -> Settings:
    """Apply ``--only``/``--skip`` (repeatable or comma-separated); unknown IDs are a usage error."""
    known = [c.id for c in settings.criteria] + list(settings.disabled)
    wanted, skipped = _ids(only), _ids(skip)
    for flag, ids in (("--only", wanted), ("--skip", skipped)):
        for cid in ids:
            if cid not in known:
                raise ConfigError(flag, f"names an unknown criterion {cid!r} (known: {', '.join(known)})")
    for cid in wanted:
        if cid in settings.disabled:
            raise ConfigError("--only", f"names {cid!r}, which the criteria file disables")
    chosen = tuple(c for c in settings.criteria if (not wanted or c.id in wanted) and c.id not in skipped)
    if not chosen:
        raise ConfigError("--only/--skip", "leave no criterion to check")
    return dataclasses.replace(settings, criteria=chosen)


def _ids(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def setup(args: argparse.Namespace) -> tuple[Settings, PromClient, RunInfo, tzinfo]:
    """What a verdict needs from the flags: the criteria in force, a client that answered, the run, the zone."""
    tz = parse_tz(args.tz)
    run_info = load_run_info(args.run_manifest)
    planned = parse_duration(args.min_duration, "--min-duration") if args.min_duration else None
    warmup = parse_duration(args.warmup, "--warmup") if args.warmup else None
    settings = select(with_warmup(with_planned(load_settings(args.criteria), planned, run_info.planned_seconds),
                                  warmup), args.only, args.skip)
    settings = dataclasses.replace(settings, scope=scope_flags(args))
    client = PromClient(args.prometheus_url, store_auth(args), timeout=args.timeout)
    client.query("vector(1)", time.time())  # reachability and credentials, before any criterion runs
    return settings, client, run_info, tz


def scope_flags(args: argparse.Namespace) -> Scope:
    """The scope of ``--pipeline``, ``--run-id`` and ``--selector`` (``verify.cli.add_scope_flags``)."""
    return from_flags(args.pipeline, args.run_id, args.selector)


def aim(settings: Settings, client: PromClient, run_info: RunInfo, start: float,
        end: float) -> tuple[Settings, Target]:
    """The settings judging the one run of ``[start, end]`` (``runs.resolve``) and its processes
    (``watched.resolve``), and that run."""
    target = resolve(client, settings.scope, run_info.run_id, start, end)
    return watched.resolve(client, dataclasses.replace(settings, scope=target.scope), start, end), target


def store_auth(args: argparse.Namespace) -> Auth:
    """The store's credentials and TLS options from the flags (``verify.cli.add_store_flags``)."""
    return Auth(args.bearer_token_file, args.basic_auth_user, args.basic_auth_password_file, args.ca_file,
                args.insecure_skip_verify)


def report(args: argparse.Namespace, verdict: Verdict, settings: Settings, log: QueryLog, client: PromClient,
           tz: tzinfo, run_info: RunInfo) -> int:
    """Write the bundle (``--out``) and the verdict on stdout in ``--format``; the exit code of the verdict."""
    verdict.run_id = run_info.run_id or (verdict.target.label("run_id") if verdict.target else None)
    if args.out:
        series_step = parse_duration(args.series_step, "--series-step")
        bundle.write(args.out, verdict, settings, log, client, tz, run_info,
                     compare_config.load(args.criteria).metrics, series_step)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(FORMATTERS[args.format](verdict, tz, color=color))
    sys.stdout.flush()
    return verdict.exit_code
