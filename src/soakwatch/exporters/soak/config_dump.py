"""The validated exporter config as plain YAML, for ``soakwatch export --check-config``."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from soakwatch.exporters.soak.config import ExporterConfig
from soakwatch.natsconn import redact_url


def plain(value: Any) -> Any:
    """Dataclasses, patterns, paths and tuples as YAML-friendly values; None fields left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare)
        return {name: plain(v) for name, v in fields if v is not None}
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def dump(config: ExporterConfig) -> str:
    """The config as the exporter will run it (defaults filled in, secrets in URLs redacted)."""
    document = plain(config)
    for section in ("health", "harvester", "signals", "exports"):
        _flatten_mapping(document.get(section))
    if "nats_url" in document:
        document["nats_url"] = ",".join(redact_url(u) for u in str(document["nats_url"]).split(","))
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    return f"# config ok: {config.source}\n{body}"


def _flatten_mapping(section: Any) -> None:
    """A section's field and value mapping as the config spells it (``fields:``, ``values:``), when it has one."""
    if isinstance(section, dict):
        mapping = section.pop("mapping", {})
        section.update({key: value for key, value in mapping.items() if value})
