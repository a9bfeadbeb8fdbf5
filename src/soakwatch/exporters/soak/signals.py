"""Signals on ``signal.>`` (or read from the JSONL sink): totals, confirmed, strong, low consistency, gated."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.shared.labels import LabelBudget
from soakwatch.exporters.shared.payload import decode_object

COLLECTOR = "signals"


def flag(value: Any) -> bool:
    """A signal's boolean field: ``true`` or ``1``."""
    return value is True or (type(value) is int and value == 1)


class SignalCollector(Collector):
    """Each signal payload (NATS message, or JSONL record with ``source: jsonl``) counts once, after the
    config's field and value mapping (``{"is_strong": true}`` as ``strong``).

    Sample::

        soak_signals_total 1200.0
        soak_signals_confirmed_total 700.0
        soak_signals_strong_total 180.0
        soak_signals_low_consistency_total 40.0
        soak_signals_gated_total{reason="spread"} 12.0
    """

    def __init__(self, errors: ErrorCounter, mapping: FieldMap | None = None) -> None:
        self._errors = errors
        self._map = mapping or FieldMap()
        self._counts = {"total": 0, "confirmed": 0, "strong": 0, "low_consistency": 0}
        self._gated: dict[str, int] = {}
        self._reasons = LabelBudget()
        self._lock = threading.Lock()
        errors.declare(COLLECTOR, ("bad_json", "not_object", "unknown_consistency"))

    def handle(self, subject: str, data: bytes) -> None:
        body = decode_object(data, self._errors, COLLECTOR)
        if body is not None:
            self.count(body)

    def count(self, record: dict[str, Any]) -> None:
        """One signal, in the pipeline's names (the mapping is applied here)."""
        body = self._map.apply(record)
        consistency, gating = body.get("consistency"), body.get("gating")
        if consistency not in ("low", "ok", None):
            self._errors.count(COLLECTOR, "unknown_consistency", repr(consistency)[:40])
        reason = self._reasons.admit(str(gating)) if gating not in (None, False, "") else None
        with self._lock:
            counts = self._counts
            counts["total"] += 1
            counts["confirmed"] += flag(body.get("confirm"))
            counts["strong"] += flag(body.get("strong"))
            counts["low_consistency"] += consistency == "low"
            if reason is not None:
                self._gated[reason] = self._gated.get(reason, 0) + 1

    def state(self) -> dict[str, Any]:
        """The counts and gated reasons (what the state file keeps)."""
        with self._lock:
            return {"counts": dict(self._counts), "gated": dict(self._gated)}

    def restore(self, saved: dict[str, Any]) -> None:
        """Continue the counts of an earlier exporter instance."""
        counts, gated = dict(saved["counts"]), dict(saved["gated"])
        with self._lock:
            for key in self._counts:
                self._counts[key] += int(counts.get(key, 0))
            for reason, n in gated.items():
                name = self._reasons.admit(str(reason))
                self._gated[name] = self._gated.get(name, 0) + int(n)

    def collect(self) -> Iterator[CounterMetricFamily]:
        with self._lock:
            counts, gated = dict(self._counts), sorted(self._gated.items())
        yield CounterMetricFamily("soak_signals", "Signals published on signal.>.", value=counts["total"])
        yield CounterMetricFamily("soak_signals_confirmed", "Signals with confirm=true.", value=counts["confirmed"])
        yield CounterMetricFamily("soak_signals_strong", "Signals with strong=true.", value=counts["strong"])
        yield CounterMetricFamily("soak_signals_low_consistency", "Signals with consistency=low.",
                                  value=counts["low_consistency"])
        family = CounterMetricFamily("soak_signals_gated", "Signals gated, by gating reason.", labels=["reason"])
        for reason, value in gated:
            family.add_metric([reason], value)
        yield family
