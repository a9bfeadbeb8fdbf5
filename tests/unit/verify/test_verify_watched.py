"""The processes a verdict judges: the criteria file's, else the exporter's watched processes, else the contract's."""

from __future__ import annotations

import dataclasses
from typing import Any

from soakwatch.contract import PROCESSES
from soakwatch.verify.config import PROCESSES_FILE, default_settings, parse_settings
from soakwatch.verify.scope import from_flags
from soakwatch.verify.watched import EXPORTER, resolve


class FakeClient:
    """Answers the watched-process query with ``names`` and records the expressions asked."""

    def __init__(self, names: list[str]) -> None:
        self.names, self.asked = names, []

    def query(self, expr: str, at: float) -> dict[str, Any]:
        self.asked.append(expr)
        return {"resultType": "vector", "result": [{"metric": {"process": n}, "value": [at, "1"]}
                                                   for n in self.names]}


def test_the_exporters_processes_replace_the_contract_default_within_the_scope():
    client = FakeClient(["acme-ingest", "acme-gateway"])
    scoped = dataclasses.replace(default_settings(), scope=from_flags(None, "r1", None))
    settings = resolve(client, scoped, 0, 600)
    assert settings.processes == ("acme-gateway", "acme-ingest") and settings.processes_from == EXPORTER
    assert client.asked == ['max by (process) (max_over_time(soak_exporter_watched_process_info{run_id="r1"}[600s]))']


def test_no_watched_processes_keep_the_contract_default():
    settings = resolve(FakeClient([]), default_settings(), 0, 600)
    assert settings.processes == PROCESSES and settings.processes_from != EXPORTER


def test_a_criteria_files_list_wins_and_asks_nothing():
    client = FakeClient(["acme-ingest"])
    settings = resolve(client, parse_settings({"processes": ["harvest"]}), 0, 600)
    assert settings.processes == ("harvest",) and settings.processes_from == PROCESSES_FILE and not client.asked
