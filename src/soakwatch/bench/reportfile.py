"""Read a benchmark report (soakwatch's or any JSON object) and reject NaN, infinity and structure too deep."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from soakwatch.errors import SoakwatchError

MAX_DEPTH = 20  # nesting levels of objects and lists a report may have


class BadReportError(SoakwatchError):
    """A compare input is missing, not JSON, or holds what a report must not (NaN, infinity, deep nesting)."""


class _NotFinite(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NotFinite(f"{name} is not a number a report may hold (figures are finite numbers, or null when "
                     "not measured)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotFinite(f"{text} is out of range (it reads as infinity)")
    return value


def load_report(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; BadReportError names the file and what is wrong with it."""
    prefix = "soakwatch bench compare:"
    try:
        report = json.loads(path.read_text(), parse_constant=_reject_constant, parse_float=_finite_float)
    except OSError as exc:
        raise BadReportError(f"{prefix} cannot read {path}: {exc.strerror or exc}") from None
    except _NotFinite as exc:
        raise BadReportError(f"{prefix} {path}: {exc}") from None
    except RecursionError:
        raise BadReportError(f"{prefix} {path}: structure too deep (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:
        raise BadReportError(f"{prefix} {path} is not JSON: {exc}") from None
    if not isinstance(report, dict):
        raise BadReportError(f"{prefix} {path} is not a report (must be one JSON object, got {type_name(report)})")
    if depth(report) > MAX_DEPTH:
        raise BadReportError(f"{prefix} {path}: structure too deep (more than {MAX_DEPTH} levels)")
    return report


def depth(value: Any) -> int:
    """Nesting levels of objects and lists in ``value`` (a number is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest


def type_name(value: Any) -> str:
    """The JSON name of a value's type."""
    if value is None:
        return "null"
    names = {bool: "boolean", str: "string", list: "array", dict: "object", int: "number", float: "number"}
    return names.get(type(value), type(value).__name__)
