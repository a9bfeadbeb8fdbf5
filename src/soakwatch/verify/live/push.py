"""Push the live states to a Pushgateway each cycle (job ``soak_verdict``), for the dashboard and alerting."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TextIO
from urllib.error import URLError

from prometheus_client import CollectorRegistry, push_to_gateway
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.natsconn import public_url
from soakwatch.verify.live.loop import Cycle
from soakwatch.verify.live.states import FAILED, STATES

PUSH_JOB = "soak_verdict"


class StatesCollector(Collector):
    """The states of one cycle as gauges.

    Sample (the push adds ``job="soak_verdict"`` and, when known, ``run_id``)::

        soak_verdict_state{criterion="restart_recovery",state="failed"} 1.0
        soak_verdict_state{criterion="restart_recovery",state="passing"} 0.0
        soak_verdict_budget_remaining_ratio{criterion="health_green"} 0.95
        soak_verdict_failed_info{criterion="restart_recovery",reason="signal: downtime 20 s (downtime <= 12 s)"} 1.0
        soak_verdict_last_evaluation_timestamp_seconds 1.7672292e+09
        soak_verdict_planned_end_timestamp_seconds 1.7672328e+09
    """

    def __init__(self, cycle: Cycle) -> None:
        self._cycle = cycle

    def collect(self) -> Iterator[GaugeMetricFamily]:
        states = self._cycle.states
        state = GaugeMetricFamily("soak_verdict_state", "Live state of a verify-soak criterion (1 for the current "
                                  "one of passing, at_risk, failed, waiting).", labels=["criterion", "state"])
        budget = GaugeMetricFamily("soak_verdict_budget_remaining_ratio", "Share of a criterion's allowance left "
                                   "for the planned run (unhealthy checks, reconnects).", labels=["criterion"])
        failed = GaugeMetricFamily("soak_verdict_failed_info", "Why a criterion failed (value 1; failed ones only).",
                                   labels=["criterion", "reason"])
        for s in states:
            for name in STATES:
                state.add_metric([s.criterion, name], 1.0 if s.state == name else 0.0)
            if s.budget is not None:
                budget.add_metric([s.criterion], s.budget)
            if s.state == FAILED:
                failed.add_metric([s.criterion, s.reason], 1.0)
        yield from (state, budget, failed)
        yield GaugeMetricFamily("soak_verdict_last_evaluation_timestamp_seconds", "Time of the live verdict's "
                                "latest evaluation.", value=self._cycle.moment.now)
        yield GaugeMetricFamily("soak_verdict_planned_end_timestamp_seconds", "Planned end of the watched run.",
                                value=self._cycle.moment.end)


class Pusher:
    """Replaces the group ``job="soak_verdict"`` (and ``run_id``) each cycle; a failed push only warns."""

    def __init__(self, gateway: str, run_id: str | None = None, timeout: float = 5.0,
                 errors: TextIO = sys.stderr) -> None:
        self.gateway, self.timeout, self.errors = gateway, timeout, errors
        self.shown = public_url(gateway)
        self.grouping = {"run_id": run_id} if run_id else {}

    def show(self, cycle: Cycle) -> None:
        registry = CollectorRegistry()
        registry.register(StatesCollector(cycle))
        try:
            push_to_gateway(self.gateway, job=PUSH_JOB, registry=registry, grouping_key=self.grouping,
                            timeout=self.timeout)
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            self.errors.write(f"verify-soak: push to {self.shown} failed ({reason}); the watch goes on\n")
