"""The probe's tick settings from the exporter config's ``probe:`` section, as flags of ``soakwatch probe``."""

from __future__ import annotations

from collections.abc import Mapping

from soakwatch.errors import ConfigError
from soakwatch.exporters.soak.config import load_config


def probe_argv(exporter_config: str, environ: Mapping[str, str]) -> list[str]:
    """``--subject``/``--ts-field``/``--ts-unit``/``--seq-field`` from ``probe:`` (none without that section);
    a bad config raises ConfigError before anything starts."""
    try:
        probe = load_config(exporter_config, environ=environ).probe
    except ConfigError as exc:
        if exc.field != "--config":
            raise
        raise ConfigError("--exporter-config", exc.rule) from None
    return probe.argv() if probe else []
