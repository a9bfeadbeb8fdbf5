"""The pass thresholds the panels draw: prometheus/thresholds.yml (the alerts' one place) and verify-soak's criteria.

Every colour step and threshold line of a dashboard comes from here at build
time. ``limits.value(name)`` is a thresholds.yml entry as a number in the
panel's base unit (a duration such as ``90s`` or ``1m`` becomes seconds);
``limits.criterion(id, check)`` is the verify-soak default of a pass criterion
that has no entry in thresholds.yml (no alert uses it), so a panel and the
verdict never disagree either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from soakwatch import rulegen
from soakwatch.errors import ConfigError
from soakwatch.verify.criteria import REGISTRY
from soakwatch.verify.window import parse_duration

# The checkout's prometheus/thresholds.yml (the dashboards are built from a checkout, like grafana/dashboards/).
THRESHOLDS_FILE = Path(__file__).resolve().parents[3] / rulegen.THRESHOLDS_FILE


@dataclass(frozen=True)
class Limits:
    """The thresholds of one thresholds.yml, read once per build."""

    config: rulegen.MixinConfig
    source: Path

    def value(self, name: str) -> float:
        """Entry ``name`` as a number: durations in seconds, everything else in the unit thresholds.yml gives."""
        entry = self._entry(name)
        if entry.unit == "duration":
            return parse_duration(entry.value, f"{self.source}: thresholds.{name}.value")
        try:
            return float(entry.value)
        except ValueError:
            raise ConfigError(f"{self.source}: thresholds.{name}.value",
                              f"must be a number (unit {entry.unit}), got {entry.value!r}") from None

    def window(self, name: str) -> str:
        """Entry ``name`` as a PromQL range (``5m``); it must be a duration."""
        entry = self._entry(name)
        parse_duration(entry.value, f"{self.source}: thresholds.{name}.value")
        return entry.value

    def criterion(self, criterion_id: str, check: str) -> float:
        """verify-soak's default threshold of ``check`` of criterion ``criterion_id``."""
        return REGISTRY[criterion_id].check(check).threshold

    def _entry(self, name: str) -> rulegen.Threshold:
        entry = self.config.thresholds.get(name)
        if entry is None:
            raise ConfigError(f"{self.source}: thresholds.{name}", "is needed by a dashboard panel and missing")
        return entry


def load(path: Path | None = None) -> Limits:
    """Read and validate ``path`` (default the checkout's) with the rule generator's loader; errors name the file
    and the field."""
    path = path or THRESHOLDS_FILE
    try:
        return Limits(rulegen.load_config(path), path)
    except OSError as exc:
        raise ConfigError(str(path), f"must be a readable thresholds file ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), f"must be valid YAML ({str(exc).splitlines()[0]})") from None
