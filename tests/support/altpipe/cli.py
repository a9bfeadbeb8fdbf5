"""Flags of the alt pipeline; ``run`` starts the three processes as children and writes the run manifest."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from altpipe.roles import ROLES

RUN_ENV = "ACME_RUN_ID"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m altpipe")
    parser.add_argument("role", choices=["run", *ROLES])
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--dir", required=True, help="folder of the sink (out/), manifests/ and run/ (pidfile)")
    parser.add_argument("--rate", type=float, default=200.0, help="ticks per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds; every process stops by itself")
    parser.add_argument("--stats-interval", type=float, default=2.0)
    parser.add_argument("--every", type=int, default=20, help="one score per this many ticks")
    parser.add_argument("--run-id", default="acme-run")
    parser.add_argument("--health-ports", default="0,0,0",
                        help="HTTP health ports of ingest, scorer, gateway (0: the system picks one)")
    parser.add_argument("--health-port", type=int, default=0, help=argparse.SUPPRESS)  # a child's own port
    parser.add_argument("--fault", action="append", default=[], help="ticks-stop@SECONDS or gateway-down@SECONDS")
    return parser


def _child_argv(args: argparse.Namespace, role: str, port: str) -> list[str]:
    argv = [sys.executable, "-m", "altpipe", role, "--nats-url", args.nats_url, "--dir", args.dir,
            "--health-port", port,
            "--rate", str(args.rate), "--duration", str(args.duration), "--stats-interval", str(args.stats_interval),
            "--every", str(args.every)]
    return argv + [item for spec in args.fault for item in ("--fault", spec)]


def _manifest(path: Path, args: argparse.Namespace, started: float, state: str) -> None:
    body = {"run_id": args.run_id, "started_at": started, "state": state,
            "status": {"processes": {role: {"restart_count": 0} for role in ROLES}}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)


def supervise(args: argparse.Namespace) -> int:
    """Start the three processes with ACME_RUN_ID set, a pidfile for the run, a manifest; wait for them."""
    root = Path(args.dir)
    for sub in ("out", "manifests", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "run" / "acme.pid").write_text(f"{os.getpid()}\n")
    manifest, started = root / "manifests" / f"run_manifest_{args.run_id}.json", time.time()
    _manifest(manifest, args, started, "running")
    env = {**os.environ, RUN_ENV: args.run_id}
    ports = args.health_ports.split(",")
    children = [subprocess.Popen(_child_argv(args, role, port), env=env)
                for role, port in zip(ROLES, ports, strict=True)]
    try:
        codes = [child.wait(timeout=args.duration + 30) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        _manifest(manifest, args, started, "finished")
    return max(codes, default=0)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.role == "run":
        return supervise(args)
    asyncio.run(ROLES[args.role](args))
    return 0
