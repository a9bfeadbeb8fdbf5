"""The repository's Prometheus and Alertmanager configs rendered by soakwatch.stack.render for servers on free ports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from soakwatch.stack import render

ROOT = Path(__file__).resolve().parents[3]


def render_alertmanager(tmp_path: Path, webhook_url: str, **route: Any) -> Path:
    """alerting/alertmanager.yml with every webhook pointed at ``webhook_url`` and root/child timings from ``route``."""
    source = ROOT / render.ALERTMANAGER_CONFIG
    config = render.load_yaml(source)
    every_receiver = {render.webhook_env(str(r["name"])): webhook_url for r in config["receivers"]}
    config = render.render_alertmanager(config, "", source.parent, env=every_receiver)
    config["route"] = {**config["route"], **route}
    config["route"]["routes"] = [{**child, **{k: v for k, v in route.items() if k in child}}
                                 for child in config["route"].get("routes", [])]
    return render.write_yaml(tmp_path / "alertmanager.yml", config, "alerting test config")


def render_prometheus(tmp_path: Path, targets: dict[str, str], alertmanager: str, interval: str) -> Path:
    """prometheus/prometheus.yml with the given scrape targets per job (other jobs dropped) and intervals."""
    source = ROOT / render.PROMETHEUS_CONFIG
    config = render.render_prometheus(render.load_yaml(source), render.Targets(targets, alertmanager, ""),
                                      source.parent, interval)
    config["scrape_configs"] = [job for job in config["scrape_configs"] if job["job_name"] in targets]
    return render.write_yaml(tmp_path / "prometheus.yml", config, "alerting test config")
