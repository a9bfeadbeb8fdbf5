"""Mirror a Prometheus registry's samples to InfluxDB (v2 API) as line protocol with influxdb-client."""

from __future__ import annotations

import time
from typing import cast
from urllib.parse import urlsplit

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from prometheus_client.registry import CollectorRegistry

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.outputs.translate import to_influx_lines


class InfluxPush:
    """One synchronous write of every sample in ``registry`` per call."""

    def __init__(self, registry: CollectorRegistry, url: str, token: str, org: str, bucket: str,
                 timeout: float = 5.0) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError("--influx-url", f"must be an http(s):// URL, got {url!r}")
        for flag, value in (("--influx-org", org), ("--influx-bucket", bucket)):
            if not value:
                raise ConfigError(flag, "is required with --influx-url")
        self._registry = registry
        self._client = InfluxDBClient(url=url, token=token or "", org=org, timeout=int(timeout * 1000))
        self._write = self._client.write_api(write_options=SYNCHRONOUS)
        self._bucket = bucket
        self._org = org

    def __call__(self) -> None:
        lines = to_influx_lines(self._registry.collect(), time.time_ns())
        precision = cast(WritePrecision, WritePrecision.NS)  # a str constant in the client's stubs
        self._write.write(bucket=self._bucket, org=self._org, record=lines, write_precision=precision)

    def shutdown(self) -> None:
        self._client.close()
