"""verify-soak: pass criteria checked against a Prometheus-API store, with an evidence bundle."""

from soakwatch.verify.engine import CriterionResult, Verdict
from soakwatch.verify.promapi import Auth, PromClient, PrometheusError

__all__ = ["Auth", "CriterionResult", "PromClient", "PrometheusError", "Verdict"]
