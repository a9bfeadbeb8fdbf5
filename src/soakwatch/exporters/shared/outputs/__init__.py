"""Push an exporter's Prometheus registry to other backends: OTLP/HTTP and InfluxDB."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client.registry import CollectorRegistry

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.outputs.influx import InfluxPush
from soakwatch.exporters.shared.outputs.otlp import OtlpPush
from soakwatch.exporters.shared.outputs.pusher import PeriodicPusher, register_push_counters
from soakwatch.options import env_flag, positive_float

__all__ = ["Outputs", "add_output_arguments", "parse_headers", "start_outputs"]


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags for the OTLP push and the InfluxDB mirror (both off unless their URL is given)."""
    group = parser.add_argument_group("other backends (OTLP, InfluxDB)")
    env_flag(group, "--otlp-endpoint", env="OTEL_EXPORTER_OTLP_ENDPOINT",
             help="push metrics over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318")
    env_flag(group, "--otlp-header", env="SOAK_OTLP_HEADERS", secret=True,
             help="extra OTLP request headers, KEY=VALUE[,KEY=VALUE]")
    env_flag(group, "--otlp-interval", env="SOAK_OTLP_INTERVAL", default=15.0, type=positive_float,
             help="seconds between OTLP pushes")
    env_flag(group, "--influx-url", env="INFLUX_URL", help="mirror metrics to this InfluxDB v2 URL")
    env_flag(group, "--influx-token", env="INFLUX_TOKEN", secret=True, help="InfluxDB API token")
    env_flag(group, "--influx-org", env="INFLUX_ORG", help="InfluxDB organisation")
    env_flag(group, "--influx-bucket", env="INFLUX_BUCKET", help="InfluxDB bucket")
    env_flag(group, "--influx-interval", env="SOAK_INFLUX_INTERVAL", default=15.0, type=positive_float,
             help="seconds between InfluxDB writes")


def parse_headers(text: str | None) -> dict[str, str]:
    """``"a=1,b=2"`` -> ``{"a": "1", "b": "2"}``; the values are never echoed in errors."""
    headers = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("--otlp-header", "must be KEY=VALUE[,KEY=VALUE]")
        headers[key.strip()] = value.strip()
    return headers


@dataclass
class Outputs:
    """The running pushers of one process; ``stop()`` pushes once more and shuts them down."""

    pushers: list[PeriodicPusher] = field(default_factory=list)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for pusher in self.pushers:
            pusher.stop()
        for close in self._closers:
            close()


def start_outputs(registry: CollectorRegistry, args: argparse.Namespace, service_name: str) -> Outputs:
    """Start the pushers the flags ask for; raises ConfigError on bad flags before starting any."""
    outputs = Outputs()
    if args.otlp_endpoint:
        otlp = OtlpPush(registry, args.otlp_endpoint, service_name, parse_headers(args.otlp_header))
        outputs.pushers.append(PeriodicPusher("otlp", otlp, args.otlp_interval))
        outputs._closers.append(otlp.shutdown)
    if args.influx_url:
        influx = InfluxPush(registry, args.influx_url, args.influx_token, args.influx_org, args.influx_bucket)
        outputs.pushers.append(PeriodicPusher("influxdb", influx, args.influx_interval))
        outputs._closers.append(influx.shutdown)
    if outputs.pushers:
        register_push_counters(registry, outputs.pushers)
    for pusher in outputs.pushers:
        pusher.start()
    return outputs
