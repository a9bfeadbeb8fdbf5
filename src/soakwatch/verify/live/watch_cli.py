"""``verify-soak --watch`` (``soakwatch watch``): the live verdict from the flags, then the whole run's verdict."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import tzinfo

from soakwatch.errors import ConfigError
from soakwatch.verify import engine
from soakwatch.verify.config import Settings
from soakwatch.verify.live.html import LiveReport
from soakwatch.verify.live.loop import Outcome, Plan, Sink, watch
from soakwatch.verify.live.push import Pusher
from soakwatch.verify.live.terminal import display
from soakwatch.verify.promapi import PromClient
from soakwatch.verify.querier import QueryLog
from soakwatch.verify.runinfo import RunInfo, load_run_info
from soakwatch.verify.session import DEFAULT_SINCE, aim, report, setup
from soakwatch.verify.window import Window, parse_duration, parse_time

SETTLE = 20.0  # seconds after the planned end in the final window: the last scrapes (15 s interval), the shutdown
SETTLE_SHARE = 0.02  # ... at most this share of the planned run (a short run's exited processes lower coverage)
LAG = 15.0  # the final verdict waits one scrape interval after its window's end: every sample of it is stored
SHUTDOWN_MARGIN = 5.0  # the final window ends at least this long after the shutdown the run manifest records


def run_start(args: argparse.Namespace, run_info: RunInfo, now: float) -> float:
    """``--run-start``, else the run manifest's start, else ``now - --since``."""
    if args.run_start:
        return parse_time(args.run_start, "--run-start")
    if run_info.start_time is not None:
        return run_info.start_time
    return now - parse_duration(args.since or DEFAULT_SINCE)


def watch_soak(args: argparse.Namespace, prog: str, clock: Callable[[], float] = time.time,
               sleep: Callable[[float], None] = time.sleep) -> int:
    """Watch until the planned end (or a decided failure with ``--abort-on-fail``, or Ctrl-C), then report the
    verdict over the run exactly as verify-soak does; exit 1 when stopped early."""
    if args.until:
        raise ConfigError("--until", "cannot be used with --watch: the watch ends at the run's planned end")
    every = parse_duration(args.every, "--every")  # bad flags before any query
    if args.run_start:
        parse_time(args.run_start, "--run-start")
    flagged, client, run_info, tz = setup(args)
    start = run_start(args, run_info, clock())
    settings, _ = aim(flagged, client, run_info, start, max(clock(), start + 1.0))  # several runs: refused now
    assert settings.planned_seconds is not None  # with_planned always sets it
    planned = settings.planned_seconds
    plan = Plan(start, start + planned, every, args.abort_on_fail, args.strict,
                min(SETTLE, SETTLE_SHARE * planned), LAG)
    outcome = watch(client, settings, plan, _sinks(args, client.url, tz, run_info, plan), clock, sleep)
    if not (outcome.aborted or outcome.interrupted):
        outcome.end = _after_shutdown(args, outcome.end, clock, sleep)
    return _finish(args, prog, outcome, flagged, client, tz, run_info)


def _after_shutdown(args: argparse.Namespace, end: float, clock: Callable[[], float],
                    sleep: Callable[[float], None]) -> float:
    """The final window's end: past the shutdown the run manifest records by now, if it ends later than ``end``
    (a window that cuts through the shutdown judges a shutdown half done)."""
    shutdown = load_run_info(args.run_manifest).end_time if args.run_manifest else None
    if shutdown is None or shutdown + SHUTDOWN_MARGIN <= end:
        return end
    end = shutdown + SHUTDOWN_MARGIN
    sleep(max(0.0, end + LAG - clock()))
    return end


def _sinks(args: argparse.Namespace, url: str, tz: tzinfo, run_info: RunInfo, plan: Plan) -> list[Sink]:
    tty = sys.stderr.isatty()
    sinks: list[Sink] = [display(sys.stderr, tty, tty and not os.environ.get("NO_COLOR"))]
    if args.pushgateway_url:
        sinks.append(Pusher(args.pushgateway_url, run_info.run_id))
    if args.out:
        sinks.append(LiveReport(args.out, tz, url, plan.every))
    return sinks


def _finish(args: argparse.Namespace, prog: str, outcome: Outcome, flagged: Settings, client: PromClient,
            tz: tzinfo, run_info: RunInfo) -> int:
    """The verdict of the run (or of the window that decided it), scoped as verify-soak scopes that window."""
    cycle = outcome.last
    if outcome.aborted and cycle.verdict is not None:
        verdict, log = cycle.verdict, cycle.log  # the evidence of the window that decided it
        settings, verdict.target = aim(flagged, client, run_info, verdict.window.start, verdict.window.end)
    else:
        log = QueryLog()
        window = Window(cycle.moment.start, max(outcome.end, cycle.moment.start + 1.0))
        settings, target = aim(flagged, client, run_info, window.start, window.end)
        verdict = engine.run(client, window, settings, log, strict=args.strict)
        verdict.target = target
    code = report(args, verdict, settings, log, client, tz, run_info)
    if outcome.aborted:
        names = ", ".join(f"{s.criterion} ({s.reason})" for s in cycle.failed)
        print(f"{prog}: stopped early, decided failed: {names}", file=sys.stderr)
        return 1
    return code
