"""The probe's Prometheus collector: ``soak_nats_*`` read from the probe's state at scrape time.

Sample exposition::

    soak_nats_messages_total 301234.0
    soak_nats_parse_errors_total{reason="not_json"} 0.0
    soak_nats_latency_seconds_bucket{le="0.001"} 299112.0
    soak_nats_window_messages_per_second 6021.4
    soak_nats_window_latency_seconds{quantile="0.99"} 0.00081
    soak_nats_connected 1.0
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from soakwatch import __version__
from soakwatch.exporters.probe.state import Probe


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class ProbeCollector(Collector):
    """Exposes one :class:`Probe`; counters are cumulative since the probe started."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    def collect(self) -> Iterator[Metric]:
        probe = self.probe
        info = GaugeMetricFamily("soak_exporter_info", "soakwatch exporter and version.",
                                 labels=["exporter", "version"])
        info.add_metric(["probe", __version__], 1)
        yield info
        yield _counter("soak_nats_messages", "Tick messages received.", probe.messages)
        yield _counter("soak_nats_bytes", "Payload bytes of tick messages received.", probe.bytes)
        gaps = CounterMetricFamily("soak_nats_parse_errors", "Ticks the probe could not use (parse gaps), by reason.",
                                   labels=["reason"])
        for reason, count in sorted(probe.parse_gaps.items()):
            gaps.add_metric([reason], count)
        yield gaps
        yield _counter("soak_nats_sequence_gaps", "Missing per-subject sequence numbers.", probe.sequence_gaps)
        yield _counter("soak_nats_sequence_resets", "Sequence numbers that jumped back or more than "
                       "1,000,000 ahead: the publisher restarted its numbering (not counted as gaps).",
                       probe.sequence_resets)
        yield _counter("soak_nats_negative_latency", "Ticks whose event time was after the receive time "
                       "(clock skew); kept out of the latency figures.", probe.negative_latency)
        yield self._histogram()
        yield _gauge("soak_nats_window_messages_per_second", "Tick rate over the last window.", probe.window_mps)
        yield self._window_quantiles()
        yield _gauge("soak_nats_connected", "1 while the probe is connected to NATS.", float(probe.connected))
        yield _counter("soak_nats_reconnects", "Reconnects to NATS.", probe.reconnects)
        yield _counter("soak_nats_disconnected_seconds", "Time spent disconnected from NATS.",
                       probe.disconnected_seconds())
        yield _counter("soak_nats_dropped_messages", "Messages the NATS client dropped because the probe fell "
                       "behind (slow consumer).", probe.dropped)

    def _histogram(self) -> HistogramMetricFamily:
        run = self.probe.run
        buckets = [("+Inf" if le == float("inf") else repr(le), count) for le, count in run.exposed_buckets()]
        return HistogramMetricFamily("soak_nats_latency_seconds", "Publish-to-receive latency of ticks.",
                                     buckets=buckets, sum_value=run.sum_seconds)

    def _window_quantiles(self) -> SummaryMetricFamily:
        """Exact quantiles of the last window, exposed as a summary (count and sum cover the run)."""
        family = SummaryMetricFamily("soak_nats_window_latency_seconds", "Exact latency quantiles of the last "
                                     "window (quantile 1 is the maximum); count and sum cover the whole run.",
                                     labels=[])
        stats, run = self.probe.window_latency, self.probe.run
        quantiles = [(q, v) for q, v in (("0.5", stats.p50), ("0.9", stats.p90), ("0.99", stats.p99),
                                         ("1", stats.max)) if v is not None]
        family.add_metric([], run.count, run.sum_seconds)
        family.samples += [Sample(family.name, {"quantile": q}, v) for q, v in quantiles]
        return family
