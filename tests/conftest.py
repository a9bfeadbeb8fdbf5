"""Shared fixtures: real servers on free loopback ports, torn down after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from soakwatch.stack import Server
from soakwatch.stack import nats_server as _nats_server

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[Server]:
    """A real nats-server with JetStream on a free loopback port (``nats.url``)."""
    with _nats_server(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
