"""Fixtures of the stack tests: the config folder the local stack renders from, and stack port flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from soakwatch.stack import free_port, render
from soakwatch.stack.state import PORTS

REPO_ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER_CONFIG_DIR = REPO_ROOT / "tests" / "fixtures" / "stack"


def stack_config_dir() -> Path:
    """The repository's prometheus/ and alerting/ when present, else the placeholder copies."""
    real = (REPO_ROOT / render.PROMETHEUS_CONFIG).is_file() and (REPO_ROOT / render.ALERTMANAGER_CONFIG).is_file()
    return REPO_ROOT if real else PLACEHOLDER_CONFIG_DIR


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
