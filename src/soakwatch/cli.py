"""The ``soakwatch`` command: one entry point that dispatches to each tool's own ``main``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from soakwatch import __version__

# subcommand -> ("module:function", one-line help). Each target is ``main(argv) -> int``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "probe": ("soakwatch.exporters.probe.cli:main", "measure a NATS tick stream (nats-throughput-probe)"),
    "ticks": ("soakwatch.demo.ticks_cli:main", "publish a paced synthetic tick stream"),
    "bench": ("soakwatch.bench.cli:main", "benchmark NATS pub/sub, request/reply and JetStream; compare reports"),
    "export": ("soakwatch.exporters.soak.cli:main", "serve the soak exporter's /metrics (--config soak.yaml)"),
    "parity": ("soakwatch.exporters.soak.sinks.parity_cli:main",
               "compare the JSONL and SQLite signal sinks (parity_diff.json)"),
    "up": ("soakwatch.stack.cli:up", "start the monitoring stack from local binaries, in the background"),
    "status": ("soakwatch.stack.cli:status", "show the local stack's processes, URLs and health"),
    "down": ("soakwatch.stack.cli:down", "stop the local stack; nothing is left running"),
    "dashboards": ("soakwatch.dashboards.cli:main", "rebuild the Grafana dashboards (--write) or check them (--check)"),
    "render-config": ("soakwatch.stack.render:main", "render prometheus.yml/alertmanager.yml for compose or local"),
    "verify": ("soakwatch.verify.cli:main", "verdict on a soak window from Prometheus, with evidence (verify-soak)"),
    "watch": ("soakwatch.verify.cli:watch", "live verdict while a run goes, then its verdict (verify-soak --watch)"),
    "demo": ("soakwatch.demo.cli:main", "run a simulated soak pipeline against the stack, with named faults"),
    "init": ("soakwatch.init.cli:main",
             "look at a running pipeline, write a commented soak.yaml for it and show what it covers"),
    "quickstart": ("soakwatch.demo.quickstart:main", "up, a demo run, verify-soak with evidence, down"),
    "alert-log": ("soakwatch.alertlog:main", "log Alertmanager webhooks, one JSON line per alert"),
}

_USAGE = "usage: soakwatch [--version] <command> [args...]"


def _help_text() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [_USAGE, "", "Soak-test observability for NATS-based event pipelines.", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, (_, text) in sorted(SUBCOMMANDS.items())]
    lines += ["", "Run 'soakwatch <command> --help' for the flags of one command."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``soakwatch <command> ...``; returns the command's exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_help_text())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"soakwatch {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"soakwatch: unknown command {name!r}\n\n{_help_text()}", file=sys.stderr)
        return 2
    module_name, _, func_name = SUBCOMMANDS[name][0].partition(":")
    command = getattr(importlib.import_module(module_name), func_name)
    return int(command(rest, prog=f"soakwatch {name}"))


def run() -> None:
    """Console-script wrapper."""
    sys.exit(main())
