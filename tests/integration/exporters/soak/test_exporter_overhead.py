"""The soak exporter's budget: <= 5% of one core and <= 50 ms per scrape at 1,000 heartbeat+signal
messages/s with 4 watched processes (benchmarks/exporter_overhead.py, shortened)."""

from __future__ import annotations

import argparse
import importlib.util

import pytest


def _bench(repo_root):
    path = repo_root / "benchmarks" / "exporter_overhead.py"
    spec = importlib.util.spec_from_file_location("exporter_overhead", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(90)
def test_exporter_overhead_within_budget(repo_root):
    result = _bench(repo_root).run(argparse.Namespace(rate=1000, seconds=8.0, processes=4))
    assert result["messages"] >= 7500
    assert result["cpu_percent_one_core"] <= 5.0, result
    assert result["scrape_ms"]["max"] <= 50.0, result
