"""Grafana dashboards as code (grafana-foundation-sdk), written as deterministic JSON under grafana/dashboards/."""

from __future__ import annotations

from typing import Any

__all__ = ["DASHBOARDS", "dashboard_json", "render_all"]


def __getattr__(name: str) -> Any:
    # The SDK is an optional dependency (extra "grafana"): import it only when a dashboard is built.
    if name in __all__:
        from soakwatch.dashboards import build

        return getattr(build, name)
    raise AttributeError(name)
