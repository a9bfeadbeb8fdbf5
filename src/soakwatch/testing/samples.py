"""Read a collector's or registry's samples as a dict, for tests."""

from __future__ import annotations

import urllib.request
from typing import Any

from prometheus_client.parser import text_string_to_metric_families


def sample_values(source: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted label pairs): value}`` of everything ``source.collect()`` yields."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in source.collect() for sample in family.samples
    }


def value(source: Any, name: str, **labels: str) -> float | None:
    """One sample's value, or None when it is absent."""
    return sample_values(source).get((name, tuple(sorted(labels.items()))))


def text_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``{(sample name, sorted label pairs): value}`` of a Prometheus text exposition."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
    """The samples of ``http://127.0.0.1:<port>/metrics``, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return text_values(response.read().decode())
    except OSError:
        return None
