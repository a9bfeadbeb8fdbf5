"""Fixtures of the stack tests: the config folder the local stack renders from."""

from __future__ import annotations

from pathlib import Path

import pytest
from stack_paths import stack_config_dir


@pytest.fixture
def config_dir() -> Path:
    return stack_config_dir()
