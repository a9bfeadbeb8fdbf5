"""Where a running local stack listens and which run it labels (its state folder), for commands after `up`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from soakwatch.options import flag_given
from soakwatch.stack import state

_SCHEMES = {"nats": "nats"}


def _running(state_dir: Path | str) -> dict[str, Any] | None:
    """stack.json of the stack started from ``state_dir`` while any part of it runs; None otherwise."""
    record = state.read_state(Path(state_dir).resolve())
    if record is None or not any(state.is_running(c["pid"], c["create_time"]) for c in record["components"]):
        return None
    return record


def running_ports(state_dir: Path | str) -> dict[str, int] | None:
    """The ports of the stack started from ``state_dir`` while any part of it runs; None otherwise."""
    record = _running(state_dir)
    return None if record is None else {str(key): int(port) for key, port in record.get("ports", {}).items()}


def running_identity(state_dir: Path | str) -> dict[str, str]:
    """``pipeline`` and ``run_id`` of the running stack (its target labels); empty when none runs or it has none."""
    record = _running(state_dir) or {}
    return {key: str(record[key]) for key in ("pipeline", "run_id") if record.get(key)}


def url(ports: dict[str, int], key: str) -> str | None:
    """``nats://127.0.0.1:P`` or ``http://127.0.0.1:P`` of one part of the stack; None when it does not listen."""
    if key not in ports:
        return None
    return f"{_SCHEMES.get(key, 'http')}://127.0.0.1:{ports[key]}"


def given(argv: Sequence[str], flags: Sequence[str], env: str) -> bool:
    """True when the user chose the value: one of ``flags`` on the command line or ``env`` set."""
    return env in os.environ or flag_given(argv, *flags)


def default_state_dir() -> str:
    return os.environ.get(state.STATE_DIR_ENV, state.DEFAULT_STATE_DIR)
