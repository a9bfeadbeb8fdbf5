"""``soakwatch quickstart``: start the local stack, run the demo, give the verdict with evidence, stop the stack."""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from soakwatch.demo import cli as demo_cli
from soakwatch.demo import manifest
from soakwatch.options import env_flag, positive_float
from soakwatch.stack import cli as stack_cli
from soakwatch.stack import state
from soakwatch.verify import cli as verify_cli

_DEFAULT_SCRAPE_SECONDS = 5.0
EXPORTER_SAMPLE_SECONDS = 5.0  # processes.interval of the exporter's demo config: a new process is seen this late


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Start the local stack (soakwatch up), run the demo pipeline (soakwatch demo), "
                               "judge the run (verify-soak, evidence in <state>/evidence) and stop the stack "
                               "(soakwatch down), also on failure. Exit code: that of verify-soak, or of the "
                               "step that failed.")
    env_flag(parser, "--minutes", env="SOAK_DEMO_MINUTES", default=3.0, type=positive_float,
             help="length of the demo run")
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
    for port in state.PORTS:
        env_flag(parser, port.flag, env=port.env, default=port.default, type=int, dest=f"{port.key}_port",
                 help=port.help)
    return parser


def _up_argv(args: argparse.Namespace) -> list[str]:
    argv = ["--state-dir", args.state_dir]
    argv += [item for port in state.PORTS for item in (port.flag, str(getattr(args, f"{port.key}_port")))]
    if args.config_dir:
        argv += ["--config-dir", args.config_dir]
    if args.scrape_interval:
        argv += ["--scrape-interval", args.scrape_interval]
    return argv


def _demo_argv(args: argparse.Namespace) -> list[str]:
    argv = ["--minutes", str(args.minutes), "--state-dir", args.state_dir,
            "--nats-url", f"nats://127.0.0.1:{args.nats_port}",
            "--pushgateway-url", f"http://127.0.0.1:{args.pushgateway_port}"]
    return argv + [item for spec in args.fault for item in ("--fault", spec)] + list(args.demo_arg)


def scrape_seconds(text: str | None) -> float:
    """Seconds of a Prometheus duration (``1s``, ``500ms``, ``1m``); prometheus.yml's 5 s when not given."""
    if not text:
        return _DEFAULT_SCRAPE_SECONDS
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h)", text)) or _DEFAULT_SCRAPE_SECONDS


def verify_window(demo_dir: Path, scrape: float) -> tuple[str, float]:
    """``(--since, --until)`` of the run: from the moment Prometheus has every process of the running
    pipeline (exporter sampling and two scrapes after it was up) to one scrape after the shutdown."""
    window = manifest.read(demo_dir / manifest.MANIFEST_NAME)["window"]
    start = float(window["start"]) + EXPORTER_SAMPLE_SECONDS + 2 * scrape
    until = float(window["end"]) + scrape + 0.5
    return f"{math.floor(until - start)}s", until


def main(argv: Sequence[str] | None = None, prog: str | None = "soakwatch quickstart") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    code = stack_cli.up(_up_argv(args))
    if code != 0:
        return code
    try:
        return _demo_and_verdict(args)
    finally:
        if not args.keep_up:
            stack_cli.down(["--state-dir", args.state_dir])


def _demo_and_verdict(args: argparse.Namespace) -> int:
    code = demo_cli.main(_demo_argv(args))
    if code != 0:
        return code
    scrape = scrape_seconds(args.scrape_interval)
    since, until = verify_window(Path(args.state_dir).resolve() / demo_cli.DEMO_DIR, scrape)
    time.sleep(max(0.0, until + scrape - time.time()))  # Prometheus has scraped past the window's end
    evidence = Path(args.state_dir).resolve() / "evidence"
    argv = ["--since", since, "--until", f"{until:.3f}", "--prometheus-url",
            f"http://127.0.0.1:{args.prometheus_port}", "--out", str(evidence)]
    argv += ["--criteria", args.criteria] if args.criteria else []
    print(f"quickstart: verify-soak {' '.join(argv)}", flush=True)
    code = verify_cli.main(argv)
    verdict = {0: "PASS", 1: "FAIL"}.get(code, f"ERROR (exit {code})")
    print(f"quickstart: verdict {verdict}; report {evidence / 'report.html'} (also report.md, verdict.json)",
          flush=True)
    sys.stdout.flush()
    return code
