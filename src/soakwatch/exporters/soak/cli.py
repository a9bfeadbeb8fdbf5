"""``soakwatch export --config soak.yaml``: serve the soak exporter's /metrics (and push OTLP/Influx)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prometheus_client import ProcessCollector, start_http_server
from prometheus_client.registry import CollectorRegistry

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.outputs import add_output_arguments, start_outputs
from soakwatch.exporters.soak.config import ExporterConfig, _label, load_config
from soakwatch.exporters.soak.config_dump import dump
from soakwatch.exporters.soak.exporter import SoakExporter
from soakwatch.natsconn import add_nats_arguments, connect_options
from soakwatch.options import CommandParser, env_flag, flag_given, host_port

log = logging.getLogger("soakwatch.exporter")
DEFAULT_LISTEN = "0.0.0.0:9465"


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog, description="Soak exporter: process health and resources, harvester SLOs, signals, "
        "dual-sink parity and time-series exports as Prometheus metrics. Precedence: flag, config file, "
        "environment, default.")
    env_flag(parser, "--config", env="SOAK_EXPORTER_CONFIG",
             help="YAML config file (see examples/soak.yaml), or 'demo' for the local demo stack's config")
    env_flag(parser, "--web.listen-address", dest="listen_address", env="SOAK_EXPORTER_LISTEN_ADDRESS",
             default=DEFAULT_LISTEN, help="HOST:PORT to serve /metrics on")
    env_flag(parser, "--log-level", env="SOAK_LOG_LEVEL", default="INFO",
             choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level")
    env_flag(parser, "--state-file", env="SOAK_EXPORTER_STATE_FILE",
             help="file that keeps the run's totals across an exporter restart (config exporter.state_file)")
    env_flag(parser, "--run-id", env="SOAK_RUN_ID",
             help="id of the soak run; a state file is restored only for the same run id (config exporter.run_id)")
    parser.add_argument("--check-config", action="store_true",
                        help="validate the config, print it as it will run (defaults, field mappings and the "
                             "source of each section), and exit")
    add_nats_arguments(parser)
    add_output_arguments(parser)
    return parser


def resolve(args: argparse.Namespace, argv: Sequence[str]) -> ExporterConfig:
    """Load the config and let it fill what no flag set explicitly (flag > config > env > default)."""
    if not args.config:
        raise ConfigError("--config", "is required (a YAML file, or 'demo')")
    config = load_config(args.config)
    if config.listen_address and not flag_given(argv, "--web.listen-address"):
        args.listen_address = config.listen_address
    if config.nats_url and not flag_given(argv, "--nats-url"):
        args.nats_url = config.nats_url
    try:
        args.listen = host_port(args.listen_address)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError("--web.listen-address", f"must be HOST:PORT ({exc})") from None
    return _with_state_options(config, args, argv)


def _with_state_options(config: ExporterConfig, args: argparse.Namespace, argv: Sequence[str]) -> ExporterConfig:
    """--state-file and --run-id: the flag, else the config, else the environment."""
    state_file = args.state_file if flag_given(argv, "--state-file") or not config.state_file else config.state_file
    run_id = args.run_id if flag_given(argv, "--run-id") or not config.run_id else config.run_id
    run_id = _label(run_id, "--run-id") if run_id else None
    return dataclasses.replace(config, state_file=Path(state_file) if state_file else None, run_id=run_id)


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch export") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = resolve(args, argv)
        options = connect_options(args) if config.needs_nats() else None
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if args.check_config:
        sys.stdout.write(dump(config))
        return 0
    return serve(config, args, options, prog)


def serve(config: ExporterConfig, args: argparse.Namespace, options: dict[str, Any] | None, prog: str) -> int:
    exporter = SoakExporter(config)
    registry = CollectorRegistry()
    exporter.register(registry)
    ProcessCollector(registry=registry)  # the exporter's own process_* metrics
    try:
        outputs = start_outputs(registry, args, "soak-exporter")
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    host, port = args.listen
    try:
        server, _ = start_http_server(port, host, registry)
    except OSError as exc:
        outputs.stop()
        print(f"{prog}: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    log.info("soak exporter: serving http://%s:%d/metrics (config %s)", host, server.server_port, config.source)
    try:
        asyncio.run(_run(exporter, options))
    finally:
        server.shutdown()
        outputs.stop()
        exporter.close()
    return 0


async def _run(exporter: SoakExporter, options: dict[str, Any] | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await exporter.run(stop, options)


def run() -> None:
    sys.exit(main())
