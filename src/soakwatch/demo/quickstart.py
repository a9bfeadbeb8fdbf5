"""``soakwatch quickstart``: start the local stack, run the demo, give the verdict with evidence, stop the stack."""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from soakwatch.demo import cli as demo_cli
from soakwatch.demo import manifest
from soakwatch.demo.interrupts import DeferredInterrupts, exit_code
from soakwatch.errors import ConfigError
from soakwatch.options import CommandParser, env_flag, env_switch, positive_float
from soakwatch.runid import PIPELINE_ENV, PIPELINE_FLAG, RUN_ID_ENV, RUN_ID_FLAG, check_pipeline, check_run_id
from soakwatch.stack import cli as stack_cli
from soakwatch.stack import state
from soakwatch.verify import cli as verify_cli
from soakwatch.verify.promapi import PromClient, PrometheusError

EXIT_CODES = ("exit codes: 0 the verdict passed, 1 a criterion failed (or a step could not start, or "
              "--abort-on-fail stopped the run), 2 bad flags or "
              "config, 130 cut short by Ctrl-C (SIGINT; 143 SIGTERM): the pipeline is stopped in order and the "
              "verdict of the run so far is still written, but a cut-short run never exits 0")
CUT_SHORT = (exit_code(signal.SIGINT), exit_code(signal.SIGTERM))
SCRAPED_JOBS = ("soak_exporter", "soak_probe")
SCRAPED_TIMEOUT = 30.0


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog, description="Start the local stack (soakwatch up), run the demo pipeline (soakwatch demo), "
                               "judge the run (verify-soak with the run manifest; evidence in "
                               "<state>/runs/<run id>/evidence, <state>/runs/latest is the newest run) "
                               "and stop the stack (soakwatch down), also on failure or Ctrl-C.", epilog=EXIT_CODES)
    env_flag(parser, "--minutes", env="SOAK_DEMO_MINUTES", default=3.0, type=positive_float,
             help="length of the demo run")
    env_flag(parser, RUN_ID_FLAG, env=RUN_ID_ENV, dest="run_id",
             help="id of the run (1-64 of A-Z a-z 0-9 . _ -), also the run_id label of its series; default: the "
                  "UTC start time and a random suffix")
    env_flag(parser, PIPELINE_FLAG, env=PIPELINE_ENV,
             help="pipeline name, the pipeline label of the run's series (soakwatch up --pipeline; default demo)")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC", help="a demo fault (repeatable)")
    env_flag(parser, "--state-dir", env=state.STATE_DIR_ENV, default=state.DEFAULT_STATE_DIR,
             help="state folder of the stack, the demo and the evidence")
    env_flag(parser, "--config-dir", env="SOAKWATCH_CONFIG_DIR", help="folder holding prometheus/ and alerting/")
    env_flag(parser, "--scrape-interval", env="SOAKWATCH_SCRAPE_INTERVAL",
             help="Prometheus scrape and evaluation interval (default prometheus.yml's)")
    env_flag(parser, "--criteria", env="VERIFY_CRITERIA", help="verify-soak criteria file")
    parser.add_argument("--demo-arg", action="append", default=[], metavar="ARG",
                        help="one more argument for `soakwatch demo` (repeatable, e.g. --demo-arg=--rate=8000)")
    parser.add_argument("--keep-up", action="store_true", help="leave the stack running at the end")
    env_switch(parser, "--abort-on-fail", env="SOAK_DEMO_ABORT_ON_FAIL",
               help="stop the run in order as soon as the live verdict decides a criterion failed; the verdict "
                    "of the run so far is written and the exit code is 1")
    for port in state.PORTS:
        env_flag(parser, port.flag, env=port.env, default=port.default, type=int, dest=f"{port.key}_port",
                 help=port.help)
    return parser


def _up_argv(args: argparse.Namespace) -> list[str]:
    argv = ["--state-dir", args.state_dir, "--run-id", args.run_id]
    argv += [item for port in state.PORTS for item in (port.flag, str(getattr(args, f"{port.key}_port")))]
    if args.pipeline:
        argv += ["--pipeline", args.pipeline]
    if args.config_dir:
        argv += ["--config-dir", args.config_dir]
    if args.scrape_interval:
        argv += ["--scrape-interval", args.scrape_interval]
    return argv


def _demo_argv(args: argparse.Namespace) -> list[str]:
    argv = ["--minutes", str(args.minutes), "--state-dir", args.state_dir, "--run-id", args.run_id,
            "--nats-url", f"nats://127.0.0.1:{args.nats_port}",
            "--pushgateway-url", f"http://127.0.0.1:{args.pushgateway_port}"]
    if args.abort_on_fail:
        argv += ["--abort-on-fail", "--prometheus-url", f"http://127.0.0.1:{args.prometheus_port}"]
    return argv + [item for spec in args.fault for item in ("--fault", spec)] + list(args.demo_arg)


def scrape_seconds(text: str | None) -> float:
    """Seconds of a Prometheus duration (``1s``, ``500ms``, ``1m``); prometheus.yml's 5 s when not given."""
    if not text:
        return manifest.DEFAULT_SCRAPE_SECONDS
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    seconds = sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h)", text))
    return seconds or manifest.DEFAULT_SCRAPE_SECONDS


def wait_scraped(prometheus_url: str, jobs: Sequence[str], deadline: float) -> bool:
    """Wait until Prometheus has scraped each job once (``up == 1``), so the run's first seconds are recorded,
    not lost to a stack that is still starting; False (and a note) at the monotonic ``deadline``."""
    client = PromClient(prometheus_url)
    expr = " or ".join(f'up{{job="{job}"}} == 1' for job in jobs)
    while time.monotonic() < deadline:
        with contextlib.suppress(PrometheusError):
            result = client.query(expr, time.time()).get("result", [])
            if {r["metric"].get("job") for r in result} >= set(jobs):
                return True
        time.sleep(0.2)
    print(f"quickstart: note: Prometheus has not scraped {', '.join(jobs)} yet; the run starts anyway",
          file=sys.stderr, flush=True)
    return False


def verify_window(demo_dir: Path, scrape: float) -> tuple[str, float]:
    """``(--since, --until)`` of the run in ``demo_dir`` (the demo's own rule: ``manifest.verify_window``)."""
    return manifest.verify_window(manifest.read(demo_dir / manifest.MANIFEST_NAME), scrape)


def main(argv: Sequence[str] | None = None, prog: str | None = "soakwatch quickstart") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
        args.run_id = check_run_id(args.run_id)
        args.pipeline = check_pipeline(args.pipeline) if args.pipeline else None
    except SystemExit as exc:
        return int(exc.code or 0)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    try:
        code = stack_cli.up(_up_argv(args))
        if code == 0:
            wait_scraped(f"http://127.0.0.1:{args.prometheus_port}", SCRAPED_JOBS, time.monotonic() + SCRAPED_TIMEOUT)
        return _demo_and_verdict(args) if code == 0 else code
    except KeyboardInterrupt:
        print("quickstart: interrupted; no verdict", file=sys.stderr, flush=True)
        return CUT_SHORT[0]
    finally:
        if not args.keep_up:
            stack_cli.down(["--state-dir", args.state_dir])


def _demo_and_verdict(args: argparse.Namespace) -> int:
    """The demo's code when the demo could not run, 130/143 when the run or its judging was cut short (the
    verdict of the run so far is written first), else verify-soak's."""
    print(f"quickstart: run {args.run_id}", flush=True)
    code = demo_cli.main(_demo_argv(args))
    demo_dir = Path(args.state_dir).resolve() / demo_cli.DEMO_DIR
    aborted = code == 1 and _state(demo_dir) == "aborted"
    if (code not in (0, *CUT_SHORT) and not aborted) or not (demo_dir / manifest.MANIFEST_NAME).exists():
        return code or 1
    note = "quickstart: interrupted; writing the verdict of the run so far (again to abort)"
    with DeferredInterrupts(note) as interrupts:
        verdict = _verdict(args, demo_dir)
    if aborted:
        print("quickstart: the live verdict stopped the run early; the verdict above judges the run so far",
              flush=True)
        return 1
    cut = code or (exit_code(interrupts.signum) if interrupts.signum else 0)
    if cut:
        print(f"quickstart: the run was cut short (exit {cut}); the verdict above judges the run so far", flush=True)
    return cut or verdict


def _state(demo_dir: Path) -> str | None:
    """The demo's final state in its run manifest (``aborted`` when --abort-on-fail stopped it)."""
    try:
        return str(manifest.read(demo_dir / manifest.MANIFEST_NAME)["status"]["state"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _verdict(args: argparse.Namespace, demo_dir: Path) -> int:
    scrape = scrape_seconds(args.scrape_interval)
    since, until = verify_window(demo_dir, scrape)
    time.sleep(max(0.0, until + scrape - time.time()))  # Prometheus has scraped past the window's end
    evidence = state.run_dir(Path(args.state_dir).resolve(), args.run_id) / "evidence"
    argv = ["--since", since, "--until", f"{until:.3f}", "--prometheus-url",
            f"http://127.0.0.1:{args.prometheus_port}", "--out", str(evidence),
            "--run-manifest", str(demo_dir / manifest.MANIFEST_NAME)]
    argv += ["--criteria", args.criteria] if args.criteria else []
    print(f"quickstart: verify-soak {' '.join(argv)}", flush=True)
    code = verify_cli.main(argv)
    state.link_latest(Path(args.state_dir).resolve(), args.run_id)
    verdict = {0: "PASS", 1: "FAIL"}.get(code, f"ERROR (exit {code})")
    print(f"quickstart: verdict {verdict}; report {evidence / 'report.html'} (also report.md, verdict.json)",
          flush=True)
    sys.stdout.flush()
    return code
