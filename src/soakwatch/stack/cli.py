"""`soakwatch up`, `status` and `down`: the monitoring stack as local background processes, without Docker."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from soakwatch.errors import ConfigError, SoakwatchError
from soakwatch.options import CommandParser, env_flag, positive_float
from soakwatch.runid import (
    DEFAULT_PIPELINE,
    DEMO_PIPELINE,
    PIPELINE_ENV,
    PIPELINE_FLAG,
    RUN_ID_ENV,
    RUN_ID_FLAG,
    check_pipeline,
    check_run_id,
    new_run_id,
)
from soakwatch.stack import render, servers, state
from soakwatch.stack.probe_settings import probe_argv
from soakwatch.stack.servers import PortInUseError, Server

GRAFANA_NOTE = (
    "grafana: not available without Docker (`docker compose up` starts it with the soak dashboard); "
    "for a visual report run `verify-soak --since 60m --prometheus-url {prometheus} --out soak-evidence` "
    "and open soak-evidence/report.html"
)


def _state_dir_flag(parser: argparse.ArgumentParser) -> None:
    env_flag(parser, "--state-dir", env=state.STATE_DIR_ENV, default=state.DEFAULT_STATE_DIR,
             help="folder for the stack's configs, data, logs and stack.json")


def _up_parser(prog: str) -> argparse.ArgumentParser:
    parser = CommandParser(prog=prog, description="Start the soak monitoring stack in the background.")
    _state_dir_flag(parser)
    env_flag(parser, "--config-dir", env=render.CONFIG_DIR_ENV,
             help="folder holding prometheus/ and alerting/ (default: this checkout, then the current folder)")
    for port in state.PORTS:
        env_flag(parser, port.flag, env=port.env, default=port.default, type=int, dest=f"{port.key}_port",
                 help=port.help)
    env_flag(parser, "--exporter-config", env="SOAKWATCH_EXPORTER_CONFIG", default="demo",
             help="config of `soakwatch export` (a file, or demo); its probe: section sets the probe's "
                  "--subject, --ts-field, --ts-unit and --seq-field")
    env_flag(parser, RUN_ID_FLAG, env=RUN_ID_ENV, dest="run_id", type=_checked(check_run_id),
             help="id of the soak run the stack watches: the `run_id` label of every soak series, the run id "
                  "`soakwatch demo` uses, and the exporter keeps its totals across a restart only for this run "
                  "(its state file); default: a new one (UTC time and a random suffix), shown by `soakwatch status`")
    env_flag(parser, PIPELINE_FLAG, env=PIPELINE_ENV, type=_checked(check_pipeline),
             help=f"name of the pipeline the stack watches: the `pipeline` label of every soak series; default "
                  f"{DEMO_PIPELINE} with the demo exporter config, else {DEFAULT_PIPELINE}")
    parser.add_argument("--with-victoria-metrics", action="store_true",
                        help="also start VictoriaMetrics; Prometheus remote-writes to it")
    env_flag(parser, "--remote-write", env="SOAKWATCH_REMOTE_WRITE", type=_urls,
             help="comma-separated remote-write URLs Prometheus also sends every sample to (a central store, "
                  "e.g. http://vm:8428/api/v1/write); the series keep their pipeline and run_id labels")
    parser.add_argument("--no-probe", dest="probe", action="store_false", help="do not start the probe")
    parser.add_argument("--no-exporter", dest="exporter", action="store_false", help="do not start the exporter")
    parser.add_argument("--no-alert-log", dest="alert_log", action="store_false",
                        help="do not start the alert log (webhook receiver)")
    env_flag(parser, "--timeout", env="SOAKWATCH_UP_TIMEOUT", default=60.0, type=positive_float,
             help="seconds to wait for the whole stack to be ready")
    env_flag(parser, "--scrape-interval", env="SOAKWATCH_SCRAPE_INTERVAL", type=_prom_duration,
             help="Prometheus scrape and rule evaluation interval (default: prometheus.yml's, 5s)")
    return parser


def _checked(check: Callable[[str], str]) -> Callable[[str], str]:
    """argparse type: a run id or pipeline name by the rule of soakwatch.runid (an empty value means the default)."""
    def parse(text: str) -> str:
        if not text:
            return ""
        try:
            return check(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(exc.rule) from None
    return parse


def _identity(args: argparse.Namespace) -> None:
    """Fill in the run's identity: a new run id, and the pipeline by the exporter config, when not given."""
    args.run_id = args.run_id or new_run_id()
    args.pipeline = args.pipeline or (DEMO_PIPELINE if args.exporter_config == "demo" else DEFAULT_PIPELINE)


def _urls(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated http(s) URLs."""
    urls = tuple(u.strip() for u in text.split(",") if u.strip())
    bad = [u for u in urls if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", u)]
    if bad:
        raise argparse.ArgumentTypeError(f"must be http(s) URLs, got {bad[0]!r}")
    return urls


def _prom_duration(text: str) -> str:
    """argparse type: a Prometheus duration such as 1s or 500ms."""
    if not re.fullmatch(r"(\d+(ms|s|m|h))+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Prometheus duration like 1s or 500ms")
    return text


def _ports(args: argparse.Namespace) -> tuple[dict[str, int], dict[str, int]]:
    """(ports the stack listens on, all ports); a disabled command's port stays its scrape target."""
    ports = {port.key: int(getattr(args, f"{port.key}_port")) for port in state.PORTS}
    skipped = {"victoria_metrics": not args.with_victoria_metrics, "probe": not args.probe,
               "exporter": not args.exporter, "alert_log": not args.alert_log}
    return {key: value for key, value in ports.items() if not skipped.get(key)}, ports


def _check_ports(listening: dict[str, int]) -> None:
    """ConfigError for a port given twice, PortInUseError for one taken by another program."""
    seen: dict[int, str] = {}
    for key, port in listening.items():
        if not 0 < port < 65536:
            raise ConfigError(state.PORT_FLAGS[key], f"must be a port 1..65535, got {port}")
        if port in seen:
            other = state.PORT_FLAGS[seen[port]]
            raise ConfigError(state.PORT_FLAGS[key], f"uses port {port}, already used by {other}")
        seen[port] = key
        if not servers.port_is_free(port):
            raise PortInUseError(port, state.PORT_FLAGS[key])


def _plan(args: argparse.Namespace, ports: dict[str, int], home: Path, configs: dict[str, Path]) -> list[Server]:
    """The servers to start, in order (binaries are looked up here, before anything starts)."""
    plan = [
        servers.nats_server(home, ports["nats"], ports["nats_monitor"]),
        servers.pushgateway(home, ports["pushgateway"]),
        servers.alertmanager(home, configs["alertmanager"], ports["alertmanager"]),
    ]
    commands = _soakwatch_commands(args, ports, home)
    if "alert-log" in commands:
        plan.append(commands.pop("alert-log"))  # before Prometheus, so no early notification is lost
    if args.with_victoria_metrics:
        plan.append(servers.victoria_metrics(home, ports["victoria_metrics"]))
    plan.append(servers.prometheus(home, configs["prometheus"], ports["prometheus"]))
    return plan + list(commands.values())


def _soakwatch_commands(args: argparse.Namespace, ports: dict[str, int], home: Path) -> dict[str, Server]:
    """The alert log, probe and exporter that are switched on, as ``python -m soakwatch`` processes."""
    env = {**os.environ, state.STATE_DIR_ENV: str(home.parent)}  # the exporter's demo config reads it
    nats_url = f"nats://127.0.0.1:{ports['nats']}"
    argv = {
        "alert-log": ["alert-log", "--listen", f"127.0.0.1:{ports['alert_log']}",
                      "--out", str(_alert_log_file(home.parent, args.run_id))],
        "probe": ["probe", "--nats-url", nats_url, "--web.listen-address", f"127.0.0.1:{ports['probe']}",
                  *(probe_argv(args.exporter_config, env) if args.probe else [])],
        "exporter": ["export", "--config", args.exporter_config, "--nats-url", nats_url,
                     "--web.listen-address", f"127.0.0.1:{ports['exporter']}",
                     *(["--run-id", args.run_id] if args.run_id else [])],
    }
    wanted = {"alert-log": (args.alert_log, "alert_log", "/-/ready"), "probe": (args.probe, "probe", "/metrics"),
              "exporter": (args.exporter, "exporter", "/metrics")}
    return {name: servers.soakwatch_command(name, argv[name], home, ports[key], ready_path=path, env=env)
            for name, (on, key, path) in wanted.items() if on}


def _alert_log_file(state_dir: Path, run_id: str | None) -> Path:
    """The run's own alert history with --run-id (``<state>/runs/<id>/alerts.jsonl``), else the folder's."""
    return (state.run_dir(state_dir, run_id) if run_id else state_dir) / "alerts.jsonl"


def _record(server: Server) -> dict[str, Any]:
    assert server.process is not None
    pid = server.process.pid
    return {
        "name": server.name, "pid": pid, "create_time": state.process_identity(pid), "url": server.url,
        "ready_url": server.ready_url, "log": str(server.log_path), "argv": server.argv,
    }


def _start_all(plan: list[Server], record: dict[str, Any], state_dir: Path, timeout: float) -> None:
    """Start each server within the overall deadline, recording it in stack.json as soon as it runs."""
    deadline = time.monotonic() + timeout
    for server in plan:
        try:
            server.start(timeout=max(deadline - time.monotonic(), 1.0))
        finally:
            if server.process is not None and server.process.poll() is None:
                record["components"].append(_record(server))
                state.write_state(state_dir, record)


def up(argv: Sequence[str] | None = None, prog: str = "soakwatch up") -> int:
    """Start the stack detached; prints its URLs. 0 when every part is ready, 1 on a start error, 2 on bad config,
    130 when interrupted (Ctrl-C) while starting: what had started is stopped again."""
    args = _up_parser(prog).parse_args(argv)
    state_dir = Path(args.state_dir).resolve()
    if _running(state.read_state(state_dir)):
        print(f"{prog}: a stack is already running from {state_dir}; see `soakwatch status`, "
              f"stop it with `soakwatch down --state-dir {state_dir}`", file=sys.stderr)
        return 1
    try:
        return _up(args, state_dir)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; every part already started was stopped", file=sys.stderr)
        return 130
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except SoakwatchError as exc:
        print(str(exc), file=sys.stderr)
        return 1


def _up(args: argparse.Namespace, state_dir: Path) -> int:
    _identity(args)
    listening, ports = _ports(args)
    _check_ports(listening)
    config_dir = render.find_config_dir(args.config_dir)
    home = state_dir / "stack"
    local_vm = [f"http://127.0.0.1:{ports['victoria_metrics']}/api/v1/write"] if args.with_victoria_metrics else []
    remote = [*local_vm, *(args.remote_write or ())]
    labels = render.identity_labels(args.pipeline, args.run_id)
    configs = render.render_all(config_dir, home / "config", render.local_targets(ports, remote, labels),
                                interval=args.scrape_interval)
    plan = _plan(args, ports, home, configs)
    record: dict[str, Any] = {"config_dir": str(config_dir), "ports": listening, "components": [],
                              "started_at": time.time(), **labels}
    try:
        _start_all(plan, record, state_dir, args.timeout)
    except BaseException:  # also Ctrl-C: never leave half a stack behind
        _stop_recorded(record)
        state.remove_state(state_dir)
        raise
    _print_up(record, state_dir)
    return 0


def _print_up(record: dict[str, Any], state_dir: Path) -> None:
    print(f"soakwatch: stack ready (state {state_dir}); {_identity_text(record)}")
    for comp in record["components"]:
        print(f"  {comp['name']:<17} {_display_url(comp)}")
    print(GRAFANA_NOTE.format(prometheus=f"http://127.0.0.1:{record['ports']['prometheus']}"))
    print(f"stop it with: soakwatch down --state-dir {state_dir}")


def _identity_text(record: dict[str, Any]) -> str:
    """``pipeline demo, run 20261130T162200Z-3fa9``: the labels of the stack's soak series."""
    return f"pipeline {record.get('pipeline', '-')}, run {record.get('run_id', '-')}"


def _display_url(comp: dict[str, Any]) -> str:
    if comp["name"] == "nats-server":
        return f"{comp['url']}  (monitoring {comp['ready_url'].removesuffix('/healthz')})"
    if comp["name"] in ("probe", "exporter", "alert-log"):
        return comp["ready_url"]
    return str(comp["url"])


def _running(record: dict[str, Any] | None) -> bool:
    return record is not None and any(state.is_running(c["pid"], c["create_time"]) for c in record["components"])


def _stop_recorded(record: dict[str, Any], timeout: float = 10.0) -> list[str]:
    """Stop every recorded process, last started first; returns the names that were running."""
    return [c["name"] for c in reversed(record["components"])
            if state.stop_process(c["pid"], c["create_time"], timeout)]


def _health(comp: dict[str, Any]) -> str:
    if not state.is_running(comp["pid"], comp["create_time"]):
        return "stopped"
    return "ready" if servers.http_ok(comp["ready_url"]) else "not ready"


def status(argv: Sequence[str] | None = None, prog: str = "soakwatch status") -> int:
    """Show what runs, its URL and health. 0 all ready, 1 a part stopped or not ready, 3 no stack."""
    parser = CommandParser(prog=prog, description=status.__doc__)
    _state_dir_flag(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    state_dir = Path(args.state_dir).resolve()
    record = state.read_state(state_dir)
    if record is None:
        print(f"soakwatch: no stack started from {state_dir}")
        return 3
    rows = [{"name": c["name"], "pid": c["pid"], "health": _health(c), "url": _display_url(c), "log": c["log"]}
            for c in record["components"]]
    if args.json:
        print(json.dumps({"state_dir": str(state_dir), "components": rows, "pipeline": record.get("pipeline"),
                          "run_id": record.get("run_id")}, sort_keys=True))
    else:
        print(f"soakwatch: stack in {state_dir}; {_identity_text(record)}")
        for row in rows:
            print(f"  {row['name']:<17} {row['health']:<10} pid {row['pid']:<8} {row['url']}")
    return 0 if all(row["health"] == "ready" for row in rows) else 1


def down(argv: Sequence[str] | None = None, prog: str = "soakwatch down") -> int:
    """Stop every process of the stack (SIGTERM, then SIGKILL) and remove stack.json; data and logs stay."""
    parser = CommandParser(prog=prog, description=down.__doc__)
    _state_dir_flag(parser)
    env_flag(parser, "--timeout", env="SOAKWATCH_DOWN_TIMEOUT", default=10.0, type=positive_float,
             help="seconds each process gets to exit after SIGTERM before SIGKILL")
    args = parser.parse_args(argv)
    state_dir = Path(args.state_dir).resolve()
    record = state.read_state(state_dir)
    if record is None:
        print(f"soakwatch: no stack started from {state_dir}; nothing to stop")
        return 0
    stopped = _stop_recorded(record, args.timeout)
    state.remove_state(state_dir)
    print(f"soakwatch: stopped {', '.join(stopped) or 'nothing (no process was running)'}")
    return 0
