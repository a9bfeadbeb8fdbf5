"""``soakwatch init``: look at a running pipeline, write a commented soak.yaml, print the coverage table."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from soakwatch.errors import ConfigError, SoakwatchError
from soakwatch.exporters.soak.config import load_config
from soakwatch.init import coverage, writer
from soakwatch.init.discover import default_monitor_url, discover
from soakwatch.init.proposal import Proposal
from soakwatch.natsconn import add_nats_arguments, connect_options
from soakwatch.options import CommandParser, env_flag, env_switch, positive_float

DESCRIPTION = """\
Look at the pipeline running now and write a commented soak exporter config for it, then print, for each
verify-soak criterion, whether it will have data and from which source, and the one step that closes each gap.

What init looks at (read only: it never publishes on NATS and writes nothing but --out):
  processes  the ones connected to the NATS server or holding a file under --dir, grouped by executable and
             command line (soakwatch's own processes, shells and init itself are left out); a shared *RUN*
             environment variable or the common parent's pidfile becomes processes.scope
  NATS       a subscription to '>' for --listen-seconds or --max-messages, whichever comes first; rates from
             the server's monitoring endpoints (/connz?subs=detail) where reachable, else from what was heard;
             tick-like subjects get their event-time field and unit and a sequence field; heartbeats,
             harvester stats, signals and export events are recognised in the contract's shapes or near
             shapes (other field names and values become `fields:` and `values:` mappings)
  HTTP       /health, /healthz, /status, /ready on the ports the pipeline's processes listen on
  files      JSONL and SQLite signal sinks (tables and columns) and run manifests under each --dir

The file is a proposal: edit it. With --yes (or without a terminal) it is written as proposed and init does
not ask anything; on a terminal without --yes init offers to open it in $EDITOR.

exit codes: 0 written, 1 nothing of a pipeline is running (or the written file fails validation),
2 usage error or --out exists (use --force)."""

DIRS_ENV = "SOAKWATCH_INIT_DIRS"
EXAMPLES = """\
examples:
  soakwatch init --nats-url nats://127.0.0.1:4222 --dir ./artifacts --dir ./out --out soak.yaml
  soakwatch init --listen-seconds 10 --max-messages 50000 --yes --force
  soakwatch export --config soak.yaml --check-config"""


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = CommandParser(prog=prog, description=DESCRIPTION, epilog=EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    add_nats_arguments(parser)
    env_flag(parser, "--nats-monitor-url", env="NATS_MONITOR_URL",
             help="nats-server monitoring URL (default: port 8222 on the --nats-url host)")
    parser.add_argument("--dir", action="append", metavar="PATH",
                        help="folder to search for sinks, run manifests and pidfiles; repeatable "
                             f"[env {DIRS_ENV}, {os.pathsep}-separated]")
    env_flag(parser, "--out", env="SOAKWATCH_INIT_OUT", default="soak.yaml", help="the config file to write")
    env_flag(parser, "--listen-seconds", env="SOAKWATCH_INIT_LISTEN_SECONDS", type=positive_float, default=5.0,
             help="longest listen on NATS, seconds")
    env_flag(parser, "--max-messages", env="SOAKWATCH_INIT_MAX_MESSAGES", type=int, default=20000,
             help="stop listening after this many messages")
    env_switch(parser, "--yes", env="SOAKWATCH_INIT_YES", help="keep the proposal as written, ask nothing")
    env_switch(parser, "--force", env="SOAKWATCH_INIT_FORCE", help="overwrite --out when it exists")
    return parser


def _dirs(values: list[str] | None) -> list[Path]:
    items = values if values else os.environ.get(DIRS_ENV, "").split(os.pathsep)
    dirs = [Path(v) for v in items if v]
    for d in dirs:
        if not d.is_dir():
            raise ConfigError("--dir", f"must be an existing folder, got {str(d)!r}")
    return dirs


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch init") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        dirs, options = _dirs(args.dir), connect_options(args)
        if args.max_messages < 1:
            raise ConfigError("--max-messages", f"must be >= 1, got {args.max_messages}")
        out = Path(args.out)
        if out.exists() and not args.force:
            raise ConfigError("--out", f"must not exist ({out}); --force overwrites it")
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    return run(args, dirs, options, out, prog)


def run(args: argparse.Namespace, dirs: list[Path], options: dict, out: Path, prog: str) -> int:
    monitor = args.nats_monitor_url or default_monitor_url(args.nats_url)
    print(f"{prog}: listening on NATS for up to {args.listen_seconds:g} s / {args.max_messages} messages ...",
          file=sys.stderr)
    proposal = discover(options, args.nats_url, dirs, args.listen_seconds, args.max_messages, monitor)
    for note in proposal.notes:
        print(f"{prog}: {note}", file=sys.stderr)
    if proposal.empty:
        where = ", ".join(str(d) for d in dirs) or "no --dir given"
        print(f"{prog}: nothing of a pipeline is running: no traffic on NATS, no process connected to it or "
              f"holding a file under --dir ({where}); start the pipeline and run init again", file=sys.stderr)
        return 1
    try:
        out.write_text(writer.render(proposal, str(out)), encoding="utf-8")
    except OSError as exc:
        print(f"{prog}: cannot write --out {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {_summary(proposal)}")
    _review(args, out)
    print("\n" + coverage.render(coverage.rows(proposal)))
    return _validate(out, prog)


def _summary(p: Proposal) -> str:
    return (f"{len(p.groups)} process group(s), {len(p.streams)} subject pattern(s), "
            f"health from {p.health_source or 'nothing'}, signals from {p.signals_source or 'nothing'}")


def _review(args: argparse.Namespace, out: Path) -> None:
    """Without --yes on a terminal: offer $EDITOR; otherwise say that the file is a proposal to check."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not args.yes and sys.stdin.isatty() and editor:
        answer = input(f"open {out} in {editor} to edit the proposal now? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            subprocess.call([*editor.split(), str(out)])
            return
    if not args.yes:
        print(textwrap.fill(f"check the process names and patterns in {out} and edit it where they are wrong "
                            "(--yes keeps the proposal without this note)", 110))


def _validate(out: Path, prog: str) -> int:
    try:
        load_config(out)
    except (ConfigError, SoakwatchError) as exc:
        print(f"{prog}: the written file does not pass the exporter's validation: {exc}", file=sys.stderr)
        return 1
    print(f"\n{out} passes the exporter's validation (soakwatch export --config {out} --check-config)")
    return 0
