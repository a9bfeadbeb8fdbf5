"""Fixtures of the stack tests: the config folder the local stack renders from, and stack port flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from stack_paths import stack_config_dir

from soakwatch.stack import free_port
from soakwatch.stack.state import PORTS


@pytest.fixture
def config_dir() -> Path:
    return stack_config_dir()


@pytest.fixture
def port_flags() -> list[str]:
    """Every port flag of `soakwatch up` set to a free loopback port (never the defaults)."""
    ports = set()
    while len(ports) < len(PORTS):
        ports.add(free_port())
    return [item for port, number in zip(PORTS, sorted(ports), strict=True) for item in (port.flag, str(number))]
