"""What the demo's orchestrator sees of its pipeline: heartbeats, harvester stats, exports and resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import psutil
from nats.aio.client import Client
from nats.aio.msg import Msg

from soakwatch.contract import HARVESTER_COUNTERS, HARVESTER_STATS_SUBJECT, HEALTH_SUBJECT_PREFIX, REPORT_EXPORT_SUBJECT

MIB = 1024 * 1024


@dataclass
class Resources:
    max_rss_bytes: int = 0
    max_open_files: int = 0


@dataclass
class Observer:
    """Harvester counters are summed over restarts (each process starts its own from 0)."""

    heartbeats: dict[str, int] = field(default_factory=dict)
    harvester: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HARVESTER_COUNTERS, 0))
    export_backend: str = "prometheus"
    export_count: int = 0
    export_errors: int = 0
    resources: dict[str, Resources] = field(default_factory=dict)
    _harvester_base: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HARVESTER_COUNTERS, 0))
    _harvester_last: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HARVESTER_COUNTERS, 0))

    async def subscribe(self, nc: Client) -> None:
        await nc.subscribe(f"{HEALTH_SUBJECT_PREFIX}.*", cb=self._on_health)
        await nc.subscribe(HARVESTER_STATS_SUBJECT, cb=self._on_stats)
        await nc.subscribe(REPORT_EXPORT_SUBJECT, cb=self._on_export)

    async def _on_health(self, msg: Msg) -> None:
        role = msg.subject.rpartition(".")[2]
        self.heartbeats[role] = self.heartbeats.get(role, 0) + 1

    async def _on_stats(self, msg: Msg) -> None:
        body = _object(msg.data)
        for key in HARVESTER_COUNTERS:
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                if value < self._harvester_last[key]:
                    self._harvester_base[key] += self._harvester_last[key]
                self._harvester_last[key] = value
                self.harvester[key] = self._harvester_base[key] + value

    async def _on_export(self, msg: Msg) -> None:
        body = _object(msg.data)
        self.export_backend = str(body.get("backend") or self.export_backend)
        if body.get("ok") is True:
            self.export_count += 1
        else:
            self.export_errors += 1

    def ready(self, roles: tuple[str, ...]) -> bool:
        return all(self.heartbeats.get(role) for role in roles)

    def sample(self, pids: Mapping[str, int]) -> None:
        """Peak RSS and open files of each running role."""
        for role, pid in pids.items():
            try:
                proc = psutil.Process(pid)
                rss, fds = proc.memory_info().rss, proc.num_fds()
            except psutil.Error:
                continue
            peak = self.resources.setdefault(role, Resources())
            peak.max_rss_bytes, peak.max_open_files = max(peak.max_rss_bytes, rss), max(peak.max_open_files, fds)


def _object(data: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
