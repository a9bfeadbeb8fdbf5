"""Run identity: run ids (UTC time plus a short random suffix) and pipeline names, validated, from SOAK_RUN_ID and
SOAK_PIPELINE."""

from __future__ import annotations

import re
import secrets
import time

from soakwatch.errors import ConfigError

RUN_ID_ENV = "SOAK_RUN_ID"
RUN_ID_FLAG = "--run-id"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RULE = "must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit"
PIPELINE_ENV = "SOAK_PIPELINE"
PIPELINE_FLAG = "--pipeline"
DEMO_PIPELINE = "demo"  # the pipeline of the demo exporter config
DEFAULT_PIPELINE = "soak"  # the pipeline of a stack watching its own exporter config, when none is named


def new_run_id(now: float | None = None) -> str:
    """``20261130T162200Z-3fa9``: the UTC start time to the second and four random hex digits."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(2)}"


def check_run_id(value: str | None) -> str:
    """``value`` when it is a safe run id (also a Prometheus label value and a file name), a new one when empty."""
    if value is None or value == "":
        return new_run_id()
    if not _RUN_ID.fullmatch(value):
        raise ConfigError(RUN_ID_FLAG, f"{RULE}, got {value!r}")
    return value


def check_pipeline(value: str) -> str:
    """``value`` when it is a safe pipeline name (the same rule as a run id: a label value and a file name)."""
    if not _RUN_ID.fullmatch(value):
        raise ConfigError(PIPELINE_FLAG, f"{RULE}, got {value!r}")
    return value
