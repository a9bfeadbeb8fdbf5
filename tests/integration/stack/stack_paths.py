"""Where the stack tests find the repository and the config folder the local stack renders from."""

from __future__ import annotations

from pathlib import Path

from soakwatch.stack import render

REPO_ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER_CONFIG_DIR = REPO_ROOT / "tests" / "fixtures" / "stack"


def stack_config_dir() -> Path:
    """The repository's prometheus/ and alerting/ when present, else the placeholder copies."""
    real = (REPO_ROOT / render.PROMETHEUS_CONFIG).is_file() and (REPO_ROOT / render.ALERTMANAGER_CONFIG).is_file()
    return REPO_ROOT if real else PLACEHOLDER_CONFIG_DIR
