"""Build every dashboard and serialise it as stable JSON (sorted keys, two-space indent, numbered panels)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard

from soakwatch.dashboards import nats_bench, soak_run, thresholds
from soakwatch.dashboards.thresholds import Limits

Builder = Callable[[Limits], dashboard.Dashboard]
# file name (without .json) -> builder
DASHBOARDS: dict[str, Builder] = {
    "soak-run": soak_run.build,
    "nats-bench": nats_bench.build,
}


def _number_panels(model: dict[str, Any]) -> dict[str, Any]:
    """Give every panel (rows included) a stable id in reading order."""
    next_id = 1
    for panel in model.get("panels", []):
        for item in [panel, *panel.get("panels", [])]:
            item["id"] = next_id
            next_id += 1
    return model


def _label_alert_annotations(model: dict[str, Any]) -> dict[str, Any]:
    """Title and tags of ALERTS annotations from the alert's labels (fields the SDK's model does not carry)."""
    for annotation in model.get("annotations", {}).get("list", []):
        if annotation.get("expr", "").startswith("ALERTS{"):
            annotation.update(titleFormat="{{alertname}}", tagKeys="severity,pipeline,run_id,process",
                              useValueForTime=False, step="15s",
                              textFormat="{{alertname}} ({{severity}}) {{pipeline}} {{run_id}} {{process}}")
    return model


def dashboard_json(build: Builder, lim: Limits | None = None) -> str:
    """The dashboard as the JSON text that is checked in (thresholds from ``lim``, default the checkout's)."""
    model = json.loads(json.dumps(build(lim or thresholds.load()), cls=JSONEncoder))
    model = _label_alert_annotations(_number_panels(model))
    return json.dumps(model, sort_keys=True, indent=2) + "\n"


def render_all(lim: Limits | None = None) -> dict[str, str]:
    """``{"soak-run.json": text, ...}`` for every dashboard."""
    lim = lim or thresholds.load()
    return {f"{name}.json": dashboard_json(build, lim) for name, build in DASHBOARDS.items()}
