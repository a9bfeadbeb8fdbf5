"""The processes a verdict judges: the criteria file's ``processes``, else the ones the soak exporter is configured
to watch (``soak_exporter_watched_process_info``, so a pipeline with other process names needs no criteria file),
else the contract's four."""

from __future__ import annotations

import dataclasses

from soakwatch.verify.config import PROCESSES_DEFAULT, Settings
from soakwatch.verify.promapi import PromClient

EXPORTER = "soak exporter"
QUERY = "max by (process) (max_over_time(soak_exporter_watched_process_info[{seconds}s]))"


def resolve(client: PromClient, settings: Settings, start: float, end: float) -> Settings:
    """``settings`` with the processes of the scoped window's exporter when the criteria file names none."""
    if settings.processes_from != PROCESSES_DEFAULT:
        return settings
    expr = settings.scope.apply(QUERY.format(seconds=max(1, round(end - start))))
    result = client.query(expr, end).get("result", [])
    names = sorted({item["metric"]["process"] for item in result if item["metric"].get("process")})
    if not names:
        return settings
    return dataclasses.replace(settings, processes=tuple(names), processes_from=EXPORTER)
