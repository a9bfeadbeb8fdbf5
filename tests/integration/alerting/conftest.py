"""Fixtures for the alerting tests: an in-process alert log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from soakwatch.alertlog import AlertLog, AlertLogServer


@pytest.fixture
def alert_log(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An in-process alert log: (webhook URL, JSONL path)."""
    out = tmp_path / "alerts.jsonl"
    log = AlertLog(out)
    server = AlertLogServer(("127.0.0.1", 0), log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", out
    finally:
        server.shutdown()
        server.server_close()
        log.close()
        thread.join(5)
