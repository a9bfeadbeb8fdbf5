"""Configs rendered from the repository's Prometheus and Alertmanager files for servers on free ports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]


def render_alertmanager(tmp_path: Path, webhook_url: str, **route: Any) -> Path:
    """alerting/alertmanager.yml with every webhook pointed at ``webhook_url`` and root/child timings from ``route``."""
    config = yaml.safe_load((ROOT / "alerting/alertmanager.yml").read_text())
    config["templates"] = [str(ROOT / "alerting" / pattern) for pattern in config["templates"]]
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs", []):
            webhook["url"] = webhook_url
    config["route"].update(route)
    for child in config["route"].get("routes", []):
        child.update({key: value for key, value in route.items() if key in child})
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def render_prometheus(tmp_path: Path, targets: dict[str, str], alertmanager: str, interval: str) -> Path:
    """prometheus/prometheus.yml with the given scrape targets per job (other jobs dropped) and intervals."""
    config = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    config["global"].update(scrape_interval=interval, evaluation_interval=interval)
    config["rule_files"] = [str(ROOT / "prometheus" / pattern) for pattern in config["rule_files"]]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
    jobs = [job for job in config["scrape_configs"] if job["job_name"] in targets]
    for job in jobs:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    config["scrape_configs"] = jobs
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
