"""Fixtures of the verify-soak tests: a real Prometheus holding every soak history, built with promtool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from verify_support import Soaks, backfill, histories, start_prometheus


@pytest.fixture(scope="session")
def soak_tsdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("soak-history")
    return backfill(histories(), workdir)


@pytest.fixture(scope="session")
def soaks(soak_tsdb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Soaks]:
    with start_prometheus(tmp_path_factory.mktemp("soak-prometheus"), soak_tsdb) as server:
        yield Soaks(server)
