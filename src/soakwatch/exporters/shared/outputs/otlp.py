"""Push a Prometheus registry's metrics over OTLP/HTTP with the OpenTelemetry SDK's exporter."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics.export import MetricExportResult, MetricsData, ResourceMetrics, ScopeMetrics
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from prometheus_client.registry import CollectorRegistry

from soakwatch import __version__
from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.outputs.translate import to_otlp


def metrics_url(endpoint: str) -> str:
    """``http://host:4318`` -> ``http://host:4318/v1/metrics``; a URL with a path is kept as is."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("--otlp-endpoint", f"must be an http(s):// URL, got {endpoint!r}")
    return endpoint if parts.path.strip("/") else endpoint.rstrip("/") + "/v1/metrics"


class OtlpPush:
    """One OTLP export of everything in ``registry`` per call (cumulative temporality)."""

    def __init__(self, registry: CollectorRegistry, endpoint: str, service_name: str,
                 headers: dict[str, str] | None = None, timeout: float = 5.0) -> None:
        self._registry = registry
        self._exporter = OTLPMetricExporter(endpoint=metrics_url(endpoint), headers=headers, timeout=timeout)
        self._resource = Resource.create({"service.name": service_name, "service.version": __version__})
        self._scope = InstrumentationScope("soakwatch", __version__)
        self._start_ns = time.time_ns()
        self._timeout_ms = timeout * 1000

    def __call__(self) -> None:
        metrics = to_otlp(self._registry.collect(), self._start_ns, time.time_ns())
        data = MetricsData([ResourceMetrics(self._resource, [ScopeMetrics(self._scope, metrics, "")], "")])
        if self._exporter.export(data, timeout_millis=self._timeout_ms) is not MetricExportResult.SUCCESS:
            raise ConnectionError("OTLP export was not accepted (see the exporter's log)")

    def shutdown(self) -> None:
        self._exporter.shutdown()
