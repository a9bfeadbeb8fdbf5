"""HTTP health endpoints (GET, 2xx with a JSON ``status``) as a second source of health checks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable

from soakwatch.contract import HEALTH_STATUSES
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.config import HttpHealthConfig
from soakwatch.exporters.soak.health import HealthCollector

COLLECTOR = "health_http"


def fetch(url: str, timeout: float) -> tuple[int, bytes]:
    """(HTTP status, body); raises OSError when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, b""


class HttpHealthPoller:
    """One GET per endpoint per call of ``poll``: no answer is ``missing``, non-2xx is ``unhealthy``,
    a 2xx with ``{"status": "healthy|degraded|unhealthy"}`` (after the config's field and value mapping) is that
    status."""

    def __init__(self, endpoint: HttpHealthConfig, health: HealthCollector, errors: ErrorCounter,
                 get: Callable[[str, float], tuple[int, bytes]] = fetch) -> None:
        self.endpoint = endpoint
        self._health = health
        self._errors = errors
        self._get = get
        self._map = health.mapping
        errors.declare(COLLECTOR, ("bad_json", "unknown_status"))

    def poll(self) -> str | None:
        """Check once; returns the status counted (None when the answer was unusable)."""
        status = self._status()
        if status is not None:
            self._health.record(self.endpoint.process, status)
        return status

    def _status(self) -> str | None:
        try:
            code, body = self._get(self.endpoint.url, self.endpoint.timeout)
        except (OSError, ValueError):
            return "missing"
        if not 200 <= code < 300:
            return "unhealthy"
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            self._errors.count(COLLECTOR, "bad_json", self.endpoint.process)
            return None
        status = self._map.apply(document).get("status")
        if status not in HEALTH_STATUSES:
            self._errors.count(COLLECTOR, "unknown_status", repr(status)[:40])
            return None
        return str(status)
