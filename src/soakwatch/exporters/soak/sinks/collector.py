"""The dual signal sink (JSONL + SQLite): per-sink counters and their parity."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.shared.payload import not_in_future
from soakwatch.exporters.soak.config import SinksConfig
from soakwatch.exporters.soak.sinks import jsonl_tail, sqlite_poll
from soakwatch.exporters.soak.sinks.jsonl_tail import JsonlTail
from soakwatch.exporters.soak.sinks.parity import FIELDS, SinkCounts, aligned_end, compare
from soakwatch.exporters.soak.sinks.record import SinkRecord
from soakwatch.exporters.soak.sinks.sqlite_poll import SqlitePoller

COLLECTOR = "sinks"


class SinkCollector(Collector):
    """Reads both sinks from their start; parity compares whole seconds both sinks have reached. ``mapping``
    (the signals section's) names the fields and columns read and translates their values.

    Sample::

        soak_sink_signals_total{kind="total",sink="jsonl"} 1200.0
        soak_sink_signals_total{kind="confirm",sink="sqlite"} 700.0
        soak_sink_parity_diff_ratio{field="strong_ratio"} 0.0
    """

    def __init__(self, config: SinksConfig, errors: ErrorCounter, clock: Callable[[], float] = time.time,
                 mapping: FieldMap | None = None) -> None:
        self._errors = errors
        self._clock = clock
        self._readers: dict[str, JsonlTail[SinkRecord] | SqlitePoller] = {}
        if config.jsonl:
            self._readers["jsonl"] = JsonlTail(config.jsonl, errors, mapping=mapping)
        if config.sqlite:
            self._readers["sqlite"] = SqlitePoller(config.sqlite, errors, config.table, mapping=mapping)
        self.counts = {name: SinkCounts() for name in self._readers}
        self._lock = threading.Lock()
        errors.declare(COLLECTOR, tuple(f"{name}_future_ts" for name in self._readers))
        errors.declare(COLLECTOR, (jsonl_tail.SINK_ERRORS if config.jsonl else ())
                       + (sqlite_poll.READ_ERRORS if config.sqlite else ()))

    def poll(self) -> None:
        for name, reader in self._readers.items():
            records = self._timed(name, reader.poll())
            if records:
                with self._lock:
                    self.counts[name].add(records)

    def _timed(self, sink: str, records: list[SinkRecord]) -> list[SinkRecord]:
        """A record time beyond the allowed clock skew (or not finite) is dropped, counted; the record counts."""
        now = self._clock()
        bad = [i for i, r in enumerate(records) if r.ts is not None and not not_in_future(r.ts, now)]
        for i in bad:
            self._errors.count(COLLECTOR, f"{sink}_future_ts", f"ts {records[i].ts!r}")
            records[i] = records[i]._replace(ts=None)
        return records

    def parity(self) -> dict[str, float] | None:
        """Difference ratios (0..1) of total, confirm and strong_ratio; None with only one sink."""
        if len(self.counts) < 2:
            return None
        with self._lock:
            end = aligned_end(self.counts.values(), include_last_second=False)
            jsonl, sqlite = (self.counts[n].window(None, end) for n in ("jsonl", "sqlite"))
        return {field: pct / 100.0 for field, pct in compare(jsonl, sqlite).items()}

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        family = CounterMetricFamily("soak_sink_signals", "Signals read back from each sink, by kind "
                                     "(total, confirm, strong).", labels=["sink", "kind"])
        with self._lock:
            totals = {name: counts.totals for name, counts in self.counts.items()}
        for name, t in sorted(totals.items()):
            for kind, value in (("total", t.total), ("confirm", t.confirm), ("strong", t.strong)):
                family.add_metric([name, kind], value)
        yield family
        diffs = self.parity()
        if diffs is not None:
            gauge = GaugeMetricFamily("soak_sink_parity_diff_ratio", "Relative difference between the JSONL "
                                      "and SQLite sinks over the seconds both have reached.", labels=["field"])
            for field in FIELDS:
                gauge.add_metric([field], diffs[field])
            yield gauge

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
