"""Render prometheus/prometheus.yml and alerting/alertmanager.yml for one set of hosts and ports.

The checked-in files are the one source of the scrape jobs, rules and
receivers. The local stack (``soakwatch up``) renders them for 127.0.0.1 and
the chosen ports; docker-compose renders them for its service names. Only
addresses change: scrape targets per job, the Alertmanager target, rule and
template paths (made absolute), and the webhook URLs (from
``SOAK_WEBHOOK_<RECEIVER>_URL`` when set, else pointed at the alert log).
The soak jobs also get the run's identity as target labels (``pipeline`` and
``run_id``), so every soak series carries them, also through remote_write.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from soakwatch.errors import ConfigError
from soakwatch.options import CommandParser, env_flag
from soakwatch.runid import (
    DEMO_PIPELINE,
    PIPELINE_ENV,
    PIPELINE_FLAG,
    RUN_ID_ENV,
    RUN_ID_FLAG,
    check_pipeline,
    check_run_id,
)
from soakwatch.stack.state import PORTS

PROMETHEUS_CONFIG = Path("prometheus") / "prometheus.yml"
ALERTMANAGER_CONFIG = Path("alerting") / "alertmanager.yml"
CONFIG_DIR_ENV = "SOAKWATCH_CONFIG_DIR"
DEFAULT_ALERT_LOG = "127.0.0.1:9096"  # where the checked-in webhook URLs point
_CHECKOUT = Path(__file__).resolve().parents[3]  # src/soakwatch/stack/render.py -> repository root
SOAK_JOBS = ("soak_probe", "soak_exporter", "pushgateway")  # the jobs whose series get the run's identity


def identity_labels(pipeline: str, run_id: str) -> dict[str, str]:
    """The target labels of one soak run: ``pipeline`` and ``run_id``."""
    return {"pipeline": pipeline, "run_id": run_id}


@dataclass(frozen=True)
class Targets:
    """Where each part of the stack listens, as ``host:port``."""

    jobs: Mapping[str, str]  # Prometheus job_name -> scrape target
    alertmanager: str
    alert_log: str
    remote_write: Sequence[str] = field(default_factory=tuple)  # URLs, e.g. VictoriaMetrics /api/v1/write
    # default address (127.0.0.1:<default port>) -> address, for the targets of any other job
    addresses: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # target labels of the SOAK_JOBS (identity_labels)


def local_targets(ports: Mapping[str, int], remote_write: Sequence[str] = (),
                  labels: Mapping[str, str] | None = None) -> Targets:
    """Targets of the local stack on 127.0.0.1 (``ports`` keyed like :data:`soakwatch.stack.state.PORTS`)."""
    jobs = {"prometheus": "prometheus", "pushgateway": "pushgateway", "soak_probe": "probe",
            "soak_exporter": "exporter"}
    return Targets(
        jobs={job: f"127.0.0.1:{ports[key]}" for job, key in jobs.items()},
        alertmanager=f"127.0.0.1:{ports['alertmanager']}",
        alert_log=f"127.0.0.1:{ports['alert_log']}",
        remote_write=tuple(remote_write),
        addresses={f"127.0.0.1:{port.default}": f"127.0.0.1:{ports[port.key]}" for port in PORTS
                   if port.key in ports},
        labels=dict(labels or {}),
    )


_COMPOSE_HOSTS = {"nats": "nats", "nats_monitor": "nats", "prometheus": "localhost", "alertmanager": "alertmanager",
                  "pushgateway": "pushgateway", "probe": "probe", "exporter": "exporter", "alert_log": "alert-log"}


def compose_targets(labels: Mapping[str, str] | None = None) -> Targets:
    """Targets inside docker-compose.yml: the service names on the default ports."""
    default = {port.key: port.default for port in PORTS}
    return Targets(
        jobs={"prometheus": "localhost:9090", "pushgateway": "pushgateway:9091", "soak_probe": "probe:9464",
              "soak_exporter": "exporter:9465"},
        alertmanager="alertmanager:9093",
        alert_log="alert-log:9096",
        addresses={f"127.0.0.1:{default[key]}": f"{host}:{default[key]}" for key, host in _COMPOSE_HOSTS.items()},
        labels=dict(labels or {}),
    )


def find_config_dir(flag: str | None = None) -> Path:
    """The folder holding prometheus/ and alerting/: flag, then $SOAKWATCH_CONFIG_DIR, then the checkout, then cwd."""
    explicit = flag or os.environ.get(CONFIG_DIR_ENV)
    candidates = [Path(explicit)] if explicit else [_CHECKOUT, Path.cwd()]
    for candidate in candidates:
        if (candidate / PROMETHEUS_CONFIG).is_file() and (candidate / ALERTMANAGER_CONFIG).is_file():
            return candidate.resolve()
    where = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        f"--config-dir [env {CONFIG_DIR_ENV}]",
        f"must be a folder holding {PROMETHEUS_CONFIG} and {ALERTMANAGER_CONFIG}; not found in {where}",
    )


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; ConfigError naming the file when it is missing or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), f"must be a readable YAML file ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "must be a YAML mapping")
    return data


def _absolute(pattern: str, base: Path) -> str:
    return pattern if os.path.isabs(pattern) else str(base / pattern)


def render_prometheus(config: Mapping[str, Any], targets: Targets, base: Path,
                      interval: str | None = None) -> dict[str, Any]:
    """A copy of ``config`` with job targets, the Alertmanager target and absolute rule paths from ``base``;
    ``interval`` replaces the global scrape and evaluation intervals (short ones for tests)."""
    out = dict(config)
    if interval:
        out["global"] = {**(config.get("global") or {}), "scrape_interval": interval, "evaluation_interval": interval}
    out["rule_files"] = [_absolute(p, base) for p in config.get("rule_files") or []]
    out["scrape_configs"] = [_retarget_job(job, targets) for job in config.get("scrape_configs") or []]
    alerting = dict(config.get("alerting") or {})
    alerting["alertmanagers"] = [
        {**am, "static_configs": [{"targets": [targets.alertmanager]}]}
        for am in alerting.get("alertmanagers") or [{}]
    ]
    out["alerting"] = alerting
    if targets.remote_write:
        out["remote_write"] = [*config.get("remote_write", []), *({"url": u} for u in targets.remote_write)]
    return out


def _retarget_job(job: Mapping[str, Any], targets: Targets) -> dict[str, Any]:
    """A job of ours gets its one target (a soak job also the run's labels, over any of the file's); any other job
    keeps its targets, moved if they use a default port."""
    name = str(job.get("job_name"))
    if name not in targets.jobs:
        statics = [{**static, "targets": [targets.addresses.get(t, t) for t in static.get("targets") or []]}
                   for static in job.get("static_configs") or []]
        return {**job, "static_configs": statics} if statics else dict(job)
    labels: dict[str, Any] = {}
    for static in job.get("static_configs") or []:
        labels.update(static.get("labels") or {})
    if name in SOAK_JOBS:
        labels.update(targets.labels)
    static_config: dict[str, Any] = {"targets": [targets.jobs[name]]}
    if labels:
        static_config["labels"] = labels
    return {**job, "static_configs": [static_config]}


def webhook_env(receiver: str) -> str:
    """``SOAK_WEBHOOK_<RECEIVER>_URL`` (receiver name upper-cased, non-alphanumerics as ``_``)."""
    key = "".join(c if c.isalnum() else "_" for c in receiver.upper())
    return f"SOAK_WEBHOOK_{key}_URL"


def render_alertmanager(
    config: Mapping[str, Any], alert_log: str, base: Path, env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of ``config`` with webhook URLs from the environment or pointed at ``alert_log``."""
    env = os.environ if env is None else env
    out = dict(config)
    out["templates"] = [_absolute(p, base) for p in config.get("templates") or []]
    if not out["templates"]:
        del out["templates"]
    out["receivers"] = [_rewrite_receiver(r, alert_log, env) for r in config.get("receivers") or []]
    return out


def _rewrite_receiver(receiver: Mapping[str, Any], alert_log: str, env: Mapping[str, str]) -> dict[str, Any]:
    override = env.get(webhook_env(str(receiver.get("name", "")))) or None
    hooks = [
        {**hook, "url": override or _to_alert_log(str(hook.get("url", "")), alert_log)}
        for hook in receiver.get("webhook_configs") or []
    ]
    return {**receiver, "webhook_configs": hooks} if hooks else dict(receiver)


def _to_alert_log(url: str, alert_log: str) -> str:
    parts = urlsplit(url)
    if parts.netloc != DEFAULT_ALERT_LOG:
        return url
    return urlunsplit(parts._replace(netloc=alert_log))


def write_yaml(path: Path, data: Mapping[str, Any], header: str) -> Path:
    """Write ``data`` as YAML (owner-only: it may hold webhook URLs with tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"# {header}\n" + yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path


def render_all(
    config_dir: Path, out_dir: Path, targets: Targets, env: Mapping[str, str] | None = None,
    interval: str | None = None,
) -> dict[str, Path]:
    """Render both configs from ``config_dir`` into ``out_dir``; returns their paths by server name."""
    prom_src, am_src = config_dir / PROMETHEUS_CONFIG, config_dir / ALERTMANAGER_CONFIG
    prom = render_prometheus(load_yaml(prom_src), targets, prom_src.parent, interval)
    am = render_alertmanager(load_yaml(am_src), targets.alert_log, am_src.parent, env)
    header = "rendered by soakwatch from {}; edit the source, not this file"
    return {
        "prometheus": write_yaml(out_dir / "prometheus.yml", prom, header.format(prom_src)),
        "alertmanager": write_yaml(out_dir / "alertmanager.yml", am, header.format(am_src)),
    }


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch render-config") -> int:
    """Render the configs for the compose service names (used by docker-compose.yml) or local default ports."""
    parser = CommandParser(prog=prog, description=main.__doc__)
    env_flag(parser, "--config-dir", env=CONFIG_DIR_ENV, help="folder holding prometheus/ and alerting/")
    env_flag(parser, "--hosts", env="SOAKWATCH_RENDER_HOSTS", choices=("compose", "local"), default="compose",
             help="compose service names, or 127.0.0.1 with the default ports")
    env_flag(parser, "--out", env="SOAKWATCH_RENDER_OUT", type=Path,
             help="folder to write prometheus.yml and alertmanager.yml (required)")
    env_flag(parser, PIPELINE_FLAG, env=PIPELINE_ENV, default=DEMO_PIPELINE,
             help="pipeline name, the `pipeline` target label of the soak jobs (1-64 of A-Z a-z 0-9 . _ -)")
    env_flag(parser, RUN_ID_FLAG, env=RUN_ID_ENV, dest="run_id",
             help="run id, the `run_id` target label of the soak jobs; default: a new one (UTC time and a suffix)")
    args = parser.parse_args(argv)
    if args.out is None:
        parser.error("--out is required (or SOAKWATCH_RENDER_OUT)")
    try:
        config_dir = find_config_dir(args.config_dir)
        labels = identity_labels(check_pipeline(args.pipeline), check_run_id(args.run_id))
        targets = compose_targets(labels) if args.hosts == "compose" else local_targets(_default_ports(), (), labels)
        written = render_all(config_dir, args.out, targets)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    for path in written.values():
        print(f"wrote {path}")
    print(f"pipeline {labels['pipeline']}, run {labels['run_id']}")
    return 0


def _default_ports() -> dict[str, int]:
    return {port.key: port.default for port in PORTS}
