"""Fixtures of the demo tests: stack port flags on free loopback ports (never the defaults)."""

from __future__ import annotations

import pytest

from soakwatch.stack import free_port
from soakwatch.stack.state import PORTS


@pytest.fixture
def port_flags() -> list[str]:
    ports = set()
    while len(ports) < len(PORTS):
        ports.add(free_port())
    return [item for port, number in zip(PORTS, sorted(ports), strict=True) for item in (port.flag, str(number))]
