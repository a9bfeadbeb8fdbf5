"""Field and value mapping: a pipeline's payload names and values turned into the contract's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from soakwatch.contract import HEALTH_STATUSES
from soakwatch.errors import ConfigError

# contract fields of each payload, and the values a mapped value must be (None: any scalar)
CONTRACT_FIELDS: dict[str, dict[str, tuple[Any, ...] | None]] = {
    "health": {"status": HEALTH_STATUSES, "process": None, "pid": None, "ts": None},
    "harvester": {"queue_dropped": None, "substream_timeouts": None, "reconnect_count": None, "queue_depth": None},
    "signals": {"confirm": (True, False), "strong": (True, False), "consistency": ("low", "ok"), "gating": None,
                "ts": None},
    "exports": {"backend": None, "ok": (True, False), "error": None, "ts": None},
}
_SCALAR = (str, int, float, bool)


@dataclass(frozen=True)
class FieldMap:
    """``fields``: contract field -> the pipeline's field; ``values``: contract field -> {pipeline value: contract
    value}. Empty maps leave a payload as it is."""

    fields: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields or self.values)

    def name(self, contract: str) -> str:
        """The pipeline's name of contract field ``contract`` (the contract's own name when not mapped)."""
        return self.fields.get(contract, contract)

    def value(self, contract: str, value: Any) -> Any:
        """The contract's value for ``value`` of contract field ``contract`` (itself when not mapped)."""
        table = self.values.get(contract)
        return value if table is None else _translate(value, table)

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """The payload in the contract's names and values; a mapped field the payload lacks is absent."""
        if not self:
            return body
        view = dict(body)
        for contract, theirs in self.fields.items():
            view.pop(contract, None)
            if theirs in body:
                view[contract] = body[theirs]
        for contract, table in self.values.items():
            if contract in view:
                view[contract] = _translate(view[contract], table)
        return view


def _translate(value: Any, table: Mapping[Any, Any]) -> Any:
    """The contract's value for ``value``, or ``value`` itself when the table does not name it."""
    if not isinstance(value, _SCALAR):
        return value  # lists and objects are never table keys (and not hashable)
    for key, mapped in table.items():
        if key == value and type(key) is type(value):
            return mapped
    return value


def parse_fieldmap(kind: str, fields: Any, values: Any, path: str) -> FieldMap:
    """The ``fields``/``values`` of config section ``path``; unknown contract fields are config errors."""
    known = CONTRACT_FIELDS[kind]
    names = _mapping(fields, f"{path}.fields", "contract field to the pipeline's field name")
    for contract, theirs in names.items():
        _known(contract, known, f"{path}.fields")
        if not isinstance(theirs, str) or not theirs.strip():
            raise ConfigError(f"{path}.fields.{contract}", f"must be a non-empty field name, got {theirs!r}")
    tables = _mapping(values, f"{path}.values", "contract field to {pipeline value: contract value}")
    for contract, table in tables.items():
        _known(contract, known, f"{path}.values")
        _table(table, known[contract], f"{path}.values.{contract}")
    return FieldMap(dict(names), {k: dict(v) for k, v in tables.items()})


def _mapping(value: Any, path: str, what: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(path, f"must be a mapping of {what}, got {type(value).__name__}")
    return value


def _known(name: Any, known: Mapping[str, Any], path: str) -> None:
    if name not in known:
        raise ConfigError(f"{path}.{name}", f"is not a contract field (known: {', '.join(known)})")


def _table(table: Any, allowed: tuple[Any, ...] | None, path: str) -> None:
    if not isinstance(table, dict) or not table:
        raise ConfigError(path, "must be a non-empty mapping of the pipeline's value to the contract's value")
    for theirs, ours in table.items():
        if not isinstance(theirs, _SCALAR) or not isinstance(ours, (*_SCALAR, type(None))):
            raise ConfigError(f"{path}.{theirs}", f"must map a scalar to a scalar, got {ours!r}")
        if allowed is not None and not any(ours == a and type(ours) is type(a) for a in allowed):
            raise ConfigError(f"{path}.{theirs}", f"must be one of {', '.join(map(str, allowed))}, got {ours!r}")
