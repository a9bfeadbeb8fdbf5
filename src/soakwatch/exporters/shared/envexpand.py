"""``${VAR}`` and ``${VAR:-default}`` expansion in config strings."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from soakwatch.errors import ConfigError

_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}")


def expand(text: str, field: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace each ``${VAR}`` / ``${VAR:-default}``; an unset ``${VAR}`` without default is an error.

    As in the shell, ``:-`` also applies the default when the variable is set but empty.
    """
    env = os.environ if environ is None else environ

    def _one(match: re.Match[str]) -> str:
        name, has_default, default = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if value:
            return value
        if has_default is None:
            raise ConfigError(field, f"uses ${{{name}}} but {name} is not set (write ${{{name}:-default}})")
        return default

    return _PATTERN.sub(_one, text)


def expand_tree(node: Any, field: str = "", environ: Mapping[str, str] | None = None) -> Any:
    """Expand every string inside a parsed YAML tree (keys are left as they are)."""
    if isinstance(node, str):
        return expand(node, field or "<root>", environ)
    if isinstance(node, dict):
        return {k: expand_tree(v, f"{field}.{k}" if field else str(k), environ) for k, v in node.items()}
    if isinstance(node, list):
        return [expand_tree(v, f"{field}[{i}]", environ) for i, v in enumerate(node)]
    return node
