"""Fixtures of the bench unit tests: report files in a temporary folder."""

import copy
import json

import pytest

# the users' benchmark report shape (docs: FORMATS.md, "Benchmark reports")
FOREIGN = {
    "candles": 50000, "repeats": 2, "seed": 1337,
    "candles_per_sec": {"min": 1025.4, "median": 1048.2, "p95": 1056.7},
    "p95_stage_latency_ms": 21.3, "peak_rss_mb": 182.4,
}


@pytest.fixture
def write(tmp_path):
    """``write(name, report)``: a file holding ``report`` (a dict as JSON, or text as it is); returns its path."""

    def _write(name, report):
        path = tmp_path / name
        path.write_text(report if isinstance(report, str) else json.dumps(report))
        return str(path)

    return _write


@pytest.fixture
def foreign():
    """A fresh copy of a report in the users' shape."""
    return copy.deepcopy(FOREIGN)
