"""Criterion on the soak alerts Prometheus fired during the window (the ``ALERTS`` series)."""

from __future__ import annotations

from soakwatch.verify.criteria.base import WHOLE, Check, Criterion, Measurement
from soakwatch.verify.querier import Querier

_FIRING = 'ALERTS{alertstate="firing",severity="critical",alertname=~"Soak.*",alertname!="SoakVerdictFailed"}'


class _NoCriticalAlerts(Criterion):
    def measure(self, q: Querier) -> Measurement:
        m = Measurement()
        names = sorted(labels.get("alertname", "?")
                       for labels, _ in q.instant(f"count by (alertname) (max_over_time({_FIRING}[$window]))"))
        m.set("firing", WHOLE, float(len(names)))
        if names:
            m.notes.append("fired: " + ", ".join(names))
        return m


NO_CRITICAL_ALERTS = _NoCriticalAlerts(
    id="no_critical_alerts",
    description="no critical soak alert firing in the window (coverage: the soak exporters were scraped)",
    checks=(Check("firing", f"count by (alertname) (max_over_time({_FIRING}[$window]))", "<=", 0.0, "count"),),
    coverage="soak_exporter_info",
    series=f"count({_FIRING}) or vector(0)",
)

CRITERIA = (NO_CRITICAL_ALERTS,)
