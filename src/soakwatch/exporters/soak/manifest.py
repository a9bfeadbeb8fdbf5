"""The orchestrator's ``run_manifest*.json``, read as a fallback source (restarts, harvester, exports)."""

from __future__ import annotations

import glob
import json
import os
import threading
from typing import Any

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.shared.payload import counter_value

COLLECTOR = "manifest"
REASONS = ("bad_json", "not_object", "bad_value")


class ManifestReader:
    """Keeps the last good manifest; a half-written or bad file is counted and the old one kept.

    ``path`` may be a glob (``artifacts/run_logs/run_manifest_*.json``): the newest match is read.
    A missing manifest is not an error (the orchestrator may write it only at the end).
    """

    def __init__(self, path: str, errors: ErrorCounter) -> None:
        self._pattern = path
        self._errors = errors
        self._seen: tuple[str, int, int] | None = None
        self._data: dict[str, Any] | None = None
        self._lock = threading.Lock()
        errors.declare(COLLECTOR, REASONS)

    def refresh(self) -> None:
        """Re-read the newest matching file when it changed."""
        stamp = self._newest()
        if stamp is None or stamp == self._seen:
            return
        try:
            with open(stamp[0], "rb") as handle:
                data = json.loads(handle.read())
        except (OSError, ValueError) as exc:
            self._errors.count(COLLECTOR, "bad_json", f"{stamp[0]}: {exc}")
            return  # retried when the file changes again
        if not isinstance(data, dict):
            self._errors.count(COLLECTOR, "not_object", stamp[0])
            return
        with self._lock:
            self._seen, self._data = stamp, data
        self._count_bad_figures(stamp[0])

    def _count_bad_figures(self, name: str) -> None:
        """Once per new file: figures present but not counters (negative, fractional, huge) are counted."""
        bad = [f"status.processes.{k}.restart_count" for k in self._bad_restart_counts()]
        for section, keys in (("harvester_metrics", ("queue_dropped", "substream_timeouts", "reconnect_count")),
                              ("timeseries_export", ("export_count", "error_count"))):
            part = _dig(self.data, section)
            if isinstance(part, dict):
                bad += [f"{section}.{k}" for k in keys if part.get(k) is not None and counter_value(part[k]) is None]
        if bad:
            self._errors.count(COLLECTOR, "bad_value", f"{name}: {', '.join(bad)}"[:160])

    def _bad_restart_counts(self) -> list[str]:
        return [str(k) for k, e in _processes(self.data).items()
                if isinstance(e, dict) and e.get("restart_count") is not None
                and counter_value(e["restart_count"]) is None]

    def _newest(self) -> tuple[str, int, int] | None:
        best = None
        for name in glob.glob(self._pattern):
            try:
                st = os.stat(name)
            except OSError:
                continue
            if best is None or st.st_mtime_ns > best[1]:
                best = (name, st.st_mtime_ns, st.st_size)
        return best

    @property
    def modified_at(self) -> float | None:
        """Modification time (unix seconds) of the manifest file now in use; None before one was read."""
        with self._lock:
            return self._seen[1] / 1e9 if self._seen else None

    @property
    def version(self) -> tuple[str, int, int] | None:
        """(file, mtime in ns, size) of the manifest now in use: a new value is a new manifest."""
        with self._lock:
            return self._seen

    @property
    def data(self) -> dict[str, Any] | None:
        with self._lock:
            return self._data

    def restart_counts(self) -> dict[str, int]:
        """``status.processes`` as a mapping or a list of ``{name, restart_count}``."""
        counts = {}
        for name, entry in _processes(self.data).items():
            value = counter_value(entry.get("restart_count")) if isinstance(entry, dict) else None
            if isinstance(name, str) and value is not None:
                counts[name] = value
        return counts

    def harvester(self, mapping: FieldMap | None = None) -> dict[str, int] | None:
        """``harvester_metrics`` as the contract's counters (a detected substream timeout counts 1), after
        the harvester's field mapping when given."""
        metrics = _dig(self.data, "harvester_metrics")
        if not isinstance(metrics, dict):
            return None
        metrics = mapping.apply(metrics) if mapping else metrics
        timeouts = metrics.get("substream_timeouts")
        if timeouts is None and "substream_timeout_detected" in metrics:
            timeouts = int(bool(metrics["substream_timeout_detected"]))
        values = {"queue_dropped": metrics.get("queue_dropped"), "substream_timeouts": timeouts,
                  "reconnect_count": metrics.get("reconnect_count")}
        return {k: v for k, raw in values.items() if (v := counter_value(raw)) is not None}

    def exports(self) -> tuple[str, int, int] | None:
        """``timeseries_export``: (backend, export_count, error_count); backend from ``backend``/``type``."""
        export = _dig(self.data, "timeseries_export")
        if not isinstance(export, dict):
            return None
        count, errors = counter_value(export.get("export_count")), counter_value(export.get("error_count"))
        if count is None and errors is None:
            return None
        backend = export.get("backend") or export.get("type") or "unknown"
        return str(backend), count or 0, errors or 0


def _processes(data: Any) -> dict[Any, Any]:
    """``status.processes``: a mapping, or a list of ``{name, ...}`` made one."""
    processes = _dig(data, "status", "processes")
    if isinstance(processes, list):
        processes = {p.get("name"): p for p in processes if isinstance(p, dict)}
    return processes if isinstance(processes, dict) else {}


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
