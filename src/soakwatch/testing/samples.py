"""Read a collector's or registry's samples as a dict, for tests."""

from __future__ import annotations

from typing import Any


def sample_values(source: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted label pairs): value}`` of everything ``source.collect()`` yields."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in source.collect() for sample in family.samples
    }


def value(source: Any, name: str, **labels: str) -> float | None:
    """One sample's value, or None when it is absent."""
    return sample_values(source).get((name, tuple(sorted(labels.items()))))
