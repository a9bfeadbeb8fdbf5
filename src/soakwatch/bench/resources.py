"""CPU and memory of the bench client (psutil, getrusage) and of nats-server (its /varz monitoring endpoint)."""

from __future__ import annotations

import json
import resource
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import psutil

DEFAULT_MONITOR_PORT = 8222
SAMPLE_INTERVAL = 0.25
SERVER_CPU_WINDOW = 1.0  # nats-server's /varz cpu is its share over about the last second
MIB = 1024 * 1024  # every *_mb figure is in MiB, like getrusage's peak


def default_monitor_url(nats_url: str) -> str:
    """``http://<host of the first NATS URL>:8222``, the monitoring port nats-server uses by default."""
    first = str(nats_url).split(",")[0].strip()
    host = urlsplit(first if "://" in first else f"nats://{first}").hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{DEFAULT_MONITOR_PORT}"


def fetch_varz(monitor_url: str, timeout: float = 1.0) -> dict[str, Any]:
    """The server's /varz document; raises OSError or ValueError when it cannot be read."""
    with urllib.request.urlopen(f"{monitor_url.rstrip('/')}/varz", timeout=timeout) as response:
        document = json.loads(response.read())
    if not isinstance(document, dict) or "mem" not in document:
        raise ValueError("not a nats-server /varz document")
    return document


def client_peak_rss_mb() -> float:
    """Peak resident memory of this process since it started (getrusage; KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class ResourceSampler:
    """Samples this process and, when ``monitor_url`` is set, nats-server while one repeat runs.

    Client CPU is the process's CPU time (getrusage) over the wall time of the
    repeat (100 = one core). Server CPU is the mean of nats-server's own /varz
    ``cpu`` (its share over about the last second), sampled every ``interval``
    once the repeat has run for that second; a shorter repeat has no server CPU
    figure. Server memory is the largest /varz ``mem`` seen.
    """

    def __init__(self, monitor_url: str | None, interval: float = SAMPLE_INTERVAL) -> None:
        self.monitor_url = monitor_url
        self.interval = interval
        self._process = psutil.Process()
        self._client_rss: list[int] = []
        self._server_cpu: list[float] = []
        self._server_mem: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="soakwatch-bench-sampler", daemon=True)
        self._cpu0 = self._wall0 = self._cpu1 = self._wall1 = 0.0

    def __enter__(self) -> ResourceSampler:
        self._cpu0, self._wall0 = _cpu_seconds(), time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cpu1, self._wall1 = _cpu_seconds(), time.perf_counter()
        self._stop.set()
        self._thread.join(5)
        self._sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        self._client_rss.append(self._process.memory_info().rss)
        if not self.monitor_url:
            return
        try:
            varz = fetch_varz(self.monitor_url)
        except (OSError, ValueError):
            return
        if time.perf_counter() - self._wall0 >= SERVER_CPU_WINDOW:
            self._server_cpu.append(float(varz.get("cpu", 0.0)))
        self._server_mem.append(int(varz["mem"]))

    def figures(self) -> dict[str, float | None]:
        """client_cpu_percent, client_rss_mb, server_cpu_percent, server_rss_mb (None when not measured)."""
        wall = self._wall1 - self._wall0
        return {
            "client_cpu_percent": round(100 * (self._cpu1 - self._cpu0) / wall, 2) if wall > 0 else None,
            "client_rss_mb": _mb(max(self._client_rss, default=0)),
            "server_cpu_percent": round(sum(self._server_cpu) / len(self._server_cpu), 2) if self._server_cpu else None,
            "server_rss_mb": _mb(max(self._server_mem, default=0)),
        }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mb(value: int) -> float | None:
    return round(value / MIB, 1) if value else None
