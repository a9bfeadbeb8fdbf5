"""Exception classes shared by every soakwatch component."""

from __future__ import annotations


class SoakwatchError(Exception):
    """Base class of every error soakwatch raises on purpose."""


class ConfigError(SoakwatchError, ValueError):
    """A bad flag, environment variable or config field; the message names it and the rule."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"invalid config: {field} {rule}")
