"""Shared fixtures: real servers on free loopback ports, torn down after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from soakwatch.stack import Server, free_port
from soakwatch.stack import nats_server as _nats_server
from soakwatch.stack.state import PORTS

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[Server]:
    """A real nats-server with JetStream on a free loopback port (``nats.url``)."""
    with _nats_server(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def port_flags() -> list[str]:
    """Every port flag of `soakwatch up` set to a distinct free loopback port (never the defaults)."""
    ports: set[int] = set()
    while len(ports) < len(PORTS):
        ports.add(free_port())
    return [item for port, number in zip(PORTS, sorted(ports), strict=True) for item in (port.flag, str(number))]
