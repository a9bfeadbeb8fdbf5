"""Bounded polling for tests: wait for a condition with a deadline, never forever."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
             message: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; raise TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f} s waiting for {message}")
        time.sleep(interval)


async def async_wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
                         message: str = "condition") -> Any:
    """The asyncio form of :func:`wait_for`; yields to the loop between polls."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f} s waiting for {message}")
        await asyncio.sleep(interval)


def nats_subscriptions(monitor_url: str) -> int:
    """``num_subscriptions`` from a nats-server's /subsz."""
    with urllib.request.urlopen(f"{monitor_url}/subsz", timeout=2) as response:
        return int(json.load(response)["num_subscriptions"])
