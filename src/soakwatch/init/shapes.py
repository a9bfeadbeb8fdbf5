"""Payload inference: event-time field and unit, sequence field, and contract or near-contract shapes."""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from soakwatch.exporters.probe.ticks import MAX_SKEW_NS, TS_UNITS, unit_by_magnitude, unit_for_field

# contract field -> names a pipeline may use for it (the contract name itself first); only these fields map
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "health": {"status": ("status", "state", "health", "condition"),
               "process": ("process", "service", "component", "proc", "app")},
    "harvester": {"queue_dropped": ("queue_dropped", "dropped", "drops", "queue_drops", "dropped_total"),
                  "substream_timeouts": ("substream_timeouts", "timeouts", "substream_timeout", "stream_timeouts"),
                  "reconnect_count": ("reconnect_count", "reconnects", "reconnections", "reconnect"),
                  "queue_depth": ("queue_depth", "backlog", "depth", "queue_len", "queue_size", "pending")},
    "signals": {"confirm": ("confirm", "confirmed", "is_confirmed", "confirmation"),
                "strong": ("strong", "is_strong", "strong_signal"),
                "consistency": ("consistency", "quality", "coherence"),
                "gating": ("gating", "gate", "gated", "gate_reason", "gating_reason")},
    "exports": {"backend": ("backend", "target", "sink", "destination", "exporter"),
                "ok": ("ok", "success", "succeeded", "is_ok"),
                "error": ("error", "err", "error_message", "failure")},
}
# the field that must be present (under some name, with a value of the right type) for a kind to be recognised
_KEY_FIELDS = {"health": ("status",), "harvester": ("queue_dropped",), "signals": ("confirm", "strong"),
               "exports": ("ok", "backend")}
# contract value -> values a pipeline may use instead, per mapped field
VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {"healthy": ("ok", "up", "pass", "green", "good"), "degraded": ("warn", "warning", "yellow"),
               "unhealthy": ("down", "fail", "error", "red", "critical")},
    "consistency": {"ok": ("good", "high", "normal"), "low": ("bad", "poor", "weak")},
}
_CONTRACT_VALUES = {"status": ("healthy", "degraded", "unhealthy"), "consistency": ("ok", "low")}
KINDS = ("health", "harvester", "signals", "exports")
_SEQ_NAMES = ("seq", "sequence", "seqno", "seq_no", "n", "sn", "sequence_number", "offset", "id")
_TIME_HINT = re.compile(r"(^|_)(ts|time|timestamp|t)($|_)|^[ET]$", re.IGNORECASE)


@dataclass(frozen=True)
class TimeField:
    """The field holding the event time and its unit (``s``, ``ms``, ``us`` or ``ns``)."""

    name: str
    unit: str
    by: str  # "name" when the field's name states the unit, "magnitude" when judged from the value


@dataclass(frozen=True)
class Shape:
    """A recognised payload kind; ``fields``/``values`` hold only what differs from the contract."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # contract fields not found under any name

    @property
    def exact(self) -> bool:
        return not self.fields and not self.values


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _common_keys(samples: Sequence[Mapping[str, Any]], test: Any) -> list[str]:
    """Keys present in every sample whose values all pass ``test`` (in the first sample's key order)."""
    if not samples:
        return []
    return [k for k in samples[0] if all(k in s and test(s[k]) for s in samples)]


def time_field(samples: Sequence[Mapping[str, Any]], now: float) -> TimeField | None:
    """The numeric field within a day of ``now`` (epoch seconds) in some unit; a time-like name wins, then the
    value nearest to ``now``."""
    found = []
    for key in _common_keys(samples, _number):
        value = float(samples[-1][key])
        unit = unit_for_field(key)
        by = "name"
        if unit is None or abs(value * TS_UNITS[unit] - now * 1e9) > MAX_SKEW_NS:
            unit, by = unit_by_magnitude(value), "magnitude"
        skew = abs(value * TS_UNITS[unit] - now * 1e9)
        if skew <= MAX_SKEW_NS:
            found.append((not _TIME_HINT.search(key), skew, TimeField(key, unit, by)))
    return min(found, key=lambda f: f[:2])[2] if found else None


def sequence_field(by_subject: Mapping[str, Sequence[Mapping[str, Any]]], exclude: Iterable[str] = ()) -> str | None:
    """An integer field that rises by one from message to message on each subject (a few losses allowed)."""
    skip = set(exclude)
    candidates: set[str] | None = None
    for samples in by_subject.values():
        keys = {k for k in _common_keys(samples, lambda v: isinstance(v, int) and not isinstance(v, bool))
                if k not in skip}
        candidates = keys if candidates is None else candidates & keys
    good = [k for k in sorted(candidates or ()) if _rises_by_one(k, by_subject)]
    good.sort(key=lambda k: (k.lower() not in _SEQ_NAMES, k))
    return good[0] if good else None


def _rises_by_one(key: str, by_subject: Mapping[str, Sequence[Mapping[str, Any]]]) -> bool:
    steps = [b[key] - a[key] for samples in by_subject.values() for a, b in itertools.pairwise(samples)]
    return len(steps) >= 2 and min(steps) > 0 and statistics.median(steps) == 1


def recognise(samples: Sequence[Mapping[str, Any]]) -> Shape | None:
    """The contract kind these payloads have, exactly or under other names; None when none fits."""
    best: tuple[float, Shape] | None = None
    for kind in KINDS:
        shape = _match(kind, samples)
        if shape is not None:
            score = 1 - len(shape.missing) / len(SYNONYMS[kind])
            if score >= 0.5 and (best is None or score > best[0]):
                best = (score, shape)
    return best[1] if best else None


def _match(kind: str, samples: Sequence[Mapping[str, Any]]) -> Shape | None:
    fields, missing = {}, []
    for contract_field, names in SYNONYMS[kind].items():
        name = next((n for n in names if _fits(kind, contract_field, samples, n)), None)
        if name is None:
            missing.append(contract_field)
        elif name != contract_field:
            fields[contract_field] = name
    if any(key in missing for key in _KEY_FIELDS[kind]):
        return None
    values = {f: m for f in _CONTRACT_VALUES if f in SYNONYMS[kind] and f not in missing
              and (m := value_mapping(f, [s.get(fields.get(f, f)) for s in samples]))}
    return Shape(kind, fields, values, tuple(missing))


def _fits(kind: str, contract_field: str, samples: Sequence[Mapping[str, Any]], name: str) -> bool:
    """Whether every sample has field ``name`` with a value of the contract field's type."""
    if not samples or any(name not in s for s in samples):
        return False
    values = [s[name] for s in samples]
    if contract_field in ("confirm", "strong", "ok"):
        return all(isinstance(v, bool) for v in values)
    if contract_field in _CONTRACT_VALUES:
        known = {w for words in VALUE_SYNONYMS[contract_field].values() for w in words}
        known |= set(_CONTRACT_VALUES[contract_field])
        return all(isinstance(v, str) and v.lower() in known for v in values)
    if kind == "harvester":
        return all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)
    if contract_field in ("gating", "error"):
        return all(v is None or isinstance(v, str) for v in values)
    return all(isinstance(v, str) for v in values)


def value_mapping(contract_field: str, seen: Iterable[Any]) -> dict[str, str]:
    """The pipeline's values -> the contract's, when it uses other words: every synonym of the vocabulary of the
    values seen (so a value not seen yet, such as ``down``, is mapped too). Empty when it speaks the contract."""
    words = {str(v) for v in seen if isinstance(v, str)}
    if words <= set(_CONTRACT_VALUES[contract_field]):
        return {}
    mapping = {word: target for target, synonyms in VALUE_SYNONYMS[contract_field].items() for word in synonyms}
    mapping.update({w: w.lower() if w.lower() in _CONTRACT_VALUES[contract_field] else mapping.get(w.lower(), w)
                    for w in words})
    return {k: v for k, v in mapping.items() if k != v}
