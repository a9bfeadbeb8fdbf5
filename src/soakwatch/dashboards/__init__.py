"""Grafana dashboards as code (grafana-foundation-sdk), written as deterministic JSON under grafana/dashboards/."""

from soakwatch.dashboards.build import DASHBOARDS, dashboard_json, render_all

__all__ = ["DASHBOARDS", "dashboard_json", "render_all"]
