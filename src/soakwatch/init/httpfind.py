"""Health endpoints the pipeline's processes serve: a GET on the common paths of their listening ports."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from soakwatch.init.grouping import Group
from soakwatch.init.shapes import Shape, recognise

PATHS = ("/health", "/healthz", "/status", "/ready")
MAX_PORTS = 5


@dataclass(frozen=True)
class HttpHealth:
    process: str
    url: str
    shape: Shape
    body: dict


def get_json(url: str, timeout: float = 1.0) -> object | None:
    """The JSON body of a 2xx answer; None for anything else."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                return None
            return json.loads(response.read(65536))
    except (OSError, ValueError, urllib.error.HTTPError):
        return None


def find(groups: Sequence[Group], get: Callable[[str], object | None] = get_json) -> list[HttpHealth]:
    """At most one endpoint per logical process: the first path on its ports answering a health shape."""
    found = []
    for group in groups:
        ports = sorted({port for proc in group.procs for port in proc.listen_ports})[:MAX_PORTS]
        hit = next((h for port in ports for path in PATHS if (h := _probe(group.name, port, path, get))), None)
        if hit:
            found.append(hit)
    return found


def _probe(process: str, port: int, path: str, get: Callable[[str], object | None]) -> HttpHealth | None:
    url = f"http://127.0.0.1:{port}{path}"
    body = get(url)
    if not isinstance(body, dict):
        return None
    shape = recognise([body])
    return HttpHealth(process, url, shape, body) if shape and shape.kind == "health" else None
