"""Every query of every dashboard runs without error on a real Prometheus and returns data.

Prometheus (started with soakwatch.stack, config and rules rendered from the
checked-in prometheus/) scrapes every metric of the design's catalogue under
the real job names for two runs (two pipelines, each with its target labels),
and the Pushgateway holds a push of job soak_report and the push of a real
`soakwatch bench pubsub` run against a real nats-server.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from soak_catalogue import CATALOGUE, EXPORTER, PROBE, exposition, serve
from stack_paths import REPO_ROOT, stack_config_dir

from soakwatch.bench.cli import main as bench_main
from soakwatch.dashboards import DASHBOARDS, dashboard_json
from soakwatch.dashboards.queries import (
    dashboard_queries,
    failing_queries,
    resolved_values,
    run_query,
    selector_runs,
    substitute,
    variable_options,
)
from soakwatch.stack import free_port, nats_server, pushgateway, render, servers
from soakwatch.verify.live import AT_RISK, PASSING, Live, Moment
from soakwatch.verify.live.loop import Cycle
from soakwatch.verify.live.push import Pusher

BENCH_REPORT = "bench.json"
# Two runs in one store: the newer one (the dashboard's default) also owns the Pushgateway.
NEWER = {"pipeline": "dev", "run_id": "20261130T120000Z-aaaa"}
OLDER = {"pipeline": "nightly", "run_id": "20261130T110000Z-bbbb"}


def _wait_for(prom_url: str, expr: str, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run_query(prom_url, expr)["data"]["result"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {timeout} s: {run_query(prom_url, 'up')}")


def _push_report(pushgateway_url: str) -> None:
    body = b"# TYPE soak_report_exports_total counter\nsoak_report_exports_total 3\n"
    request = urllib.request.Request(f"{pushgateway_url}/metrics/job/soak_report", data=body, method="PUT")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status in (200, 202)


def _push_live_verdict(gateway_url: str) -> None:
    """One cycle of the newer run's live verdict, as `verify-soak --watch --pushgateway-url` pushes it."""
    now = time.time()
    Pusher(gateway_url, run_id=NEWER["run_id"]).show(Cycle(Moment(now - 300, now, now + 3300), [
        Live("health_green", AT_RISK, "broker: 5 unhealthy of 7 allowed", 0.3),
        Live("restart_recovery", PASSING, "so far downtime 0 s", 1.0)]))


def _push_bench(directory: Path, gateway_url: str) -> dict:
    """A real small pubsub bench against a real nats-server, pushed with `--push-gateway`; its JSON report."""
    out = directory / BENCH_REPORT
    with nats_server(directory / "nats") as nats:
        code = bench_main(["pubsub", "--msgs", "2000", "--repeats", "2", "--warmup", "100", "--size", "64",
                           "--nats-url", nats.url, "--nats-monitor-url", f"http://127.0.0.1:{nats.ports['monitor']}",
                           "--push-gateway", gateway_url, "--out", str(out)])
    assert code == 0
    return json.loads(out.read_text())


def _prometheus_config(directory: Path, ports: dict[str, int]) -> Path:
    """The stack's config for the newer run, and the older run's probe and exporter as second targets of the soak
    jobs with their own target labels."""
    source = stack_config_dir() / render.PROMETHEUS_CONFIG
    labels = render.identity_labels(NEWER["pipeline"], NEWER["run_id"])
    config = render.render_prometheus(render.load_yaml(source), render.local_targets(ports, (), labels), source.parent)
    older = {"soak_probe": ports["probe_older"], "soak_exporter": ports["exporter_older"]}
    for job in config["scrape_configs"]:
        if job["job_name"] in older:
            job["static_configs"].append({"targets": [f"127.0.0.1:{older[job['job_name']]}"], "labels": OLDER})
    config["global"] = {**config.get("global", {}), "scrape_interval": "1s", "evaluation_interval": "1s"}
    config_file = directory / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    return config_file


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """``(prometheus_url, bench_report)`` with the catalogue scraped, a soak_report push and a bench push."""
    tmp = tmp_path_factory.mktemp("dashboards")
    ports = {key: free_port() for key in ("prometheus", "pushgateway", "probe", "exporter", "alertmanager",
                                          "alert_log", "probe_older", "exporter_older")}
    config_file = _prometheus_config(tmp, ports)
    exporters = [serve(PROBE, ports["probe"]), serve(EXPORTER, ports["exporter"]),
                 serve(PROBE, ports["probe_older"]), serve(EXPORTER, ports["exporter_older"])]
    try:
        with pushgateway(tmp, ports["pushgateway"]) as gateway, \
                servers.prometheus(tmp, config_file, ports["prometheus"]) as prometheus:
            _push_report(gateway.url)
            _push_live_verdict(gateway.url)
            report = _push_bench(tmp, gateway.url)
            history = 'min(count_over_time(soak_exporter_info{job=~"soak_probe|soak_exporter"}[1m])) >= 4'
            _wait_for(prometheus.url, history, "scrape history")
            _wait_for(prometheus.url, 'soak_bench_info{job="soak_bench", mode="pubsub"}', "bench push")
            _wait_for(prometheus.url, f'soak_verdict_state{{run_id="{NEWER["run_id"]}"}}', "live verdict push")
            yield prometheus.url, report
    finally:
        for exporter in exporters:
            exporter.shutdown()
            exporter.server_close()


def _model(name: str) -> dict:
    return json.loads(dashboard_json(DASHBOARDS[name]))


def _panel_values(prom_url: str, model: dict, title: str) -> list[tuple[dict[str, str], float]]:
    """The panel's first target at the dashboard's default variables: ``[(labels, value)]``."""
    panel = next(p for p in model["panels"] if p["title"] == title)
    expr = substitute(panel["targets"][0]["expr"], resolved_values(prom_url, model))
    return [(r["metric"], float(r["value"][1])) for r in run_query(prom_url, expr)["data"]["result"]]


def _pubsub(prom_url: str, model: dict, title: str) -> list[float]:
    return [value for labels, value in _panel_values(prom_url, model, title) if labels.get("mode") == "pubsub"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_dashboard_query_runs_and_returns_data(name, stack):
    prom_url, _ = stack
    failures = failing_queries(prom_url, _model(name), require_data=True)
    assert not failures, "\n".join(failures)


def test_bench_panels_show_the_pushed_figures(stack):
    prom_url, report = stack
    model = _model("nats-bench")
    # only this run's mode: a Pushgateway on a shared machine may also hold another mode's push
    assert _pubsub(prom_url, model, "Throughput") == [pytest.approx(report["msgs_per_sec"]["median"])]
    assert _pubsub(prom_url, model, "p99 latency") == [pytest.approx(report["latency_p99_ms"]["median"] / 1000)]
    assert _pubsub(prom_url, model, "Failed messages") == [report["msgs_lost"]["median"]] == [0]
    pushed = _pubsub(prom_url, model, "Pushed")
    assert len(pushed) == 1 and abs(pushed[0] / 1000 - time.time()) < 120


def _firing_by_severity(prom_url: str) -> dict[str, int]:
    """Firing soak alerts of the newer run (the one the dashboard shows by default) by severity."""
    with urllib.request.urlopen(f"{prom_url}/api/v1/alerts", timeout=5) as response:
        alerts = json.loads(response.read())["data"]["alerts"]
    counts = {"critical": 0, "warning": 0}
    for alert in alerts:
        if (alert["state"] == "firing" and alert["labels"]["alertname"].startswith("Soak")
                and alert["labels"].get("run_id") == NEWER["run_id"]):
            counts[alert["labels"]["severity"]] = counts.get(alert["labels"]["severity"], 0) + 1
    return counts


def test_alert_panels_count_every_firing_soak_alert_by_severity(stack):
    # The catalogue's harvester dropped a message: SoakHarvesterQueueDropped (a critical SLO alert, not one of the
    # three signal alerts) fires, as do warnings (restarts, probe drops).
    prom_url, _ = stack
    model = _model("soak-run")
    deadline, seen = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        before = _firing_by_severity(prom_url)
        shown = {severity: sum(v for _, v in _panel_values(prom_url, model, f"{severity.title()} alerts firing"))
                 for severity in ("critical", "warning")}
        if before == _firing_by_severity(prom_url) and before["critical"] and before["warning"]:
            seen = before
            break
        time.sleep(0.5)
    assert seen, f"no critical and warning soak alerts firing after 30 s: {_firing_by_severity(prom_url)}"
    assert shown == {"critical": seen["critical"], "warning": seen["warning"]}
    assert seen["critical"] >= 1


def _documented_metrics() -> set[str]:
    return set(re.findall(r"`(soak_[a-z0-9_]+)", (REPO_ROOT / "docs" / "metrics.md").read_text()))


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_queries_use_only_documented_metrics(name):
    unquoted = [re.sub(r'"[^"]*"', "", query.expr) for query in dashboard_queries(_model(name))]
    used = {metric for expr in unquoted for metric in re.findall(r"\bsoak_[a-z0-9_]+", expr)}
    assert used, "no soak_ metric in any query"
    assert used <= _documented_metrics(), f"not in docs/metrics.md: {sorted(used - _documented_metrics())}"
    if name == "soak-run":
        assert used <= CATALOGUE, f"not in the design's metric catalogue: {sorted(used - CATALOGUE)}"


def test_catalogue_fixture_is_valid_exposition():
    # The design's exact-window gauge carries a quantile label, which promtool's linter flags (only that).
    design_choice = 'soak_nats_window_latency_seconds non-summary metrics should not have "quantile" label'
    for families in (PROBE, EXPORTER):
        result = subprocess.run([servers.find_binary("promtool"), "check", "metrics"],
                                input=exposition(families, 10.0), capture_output=True, text=True, check=False)
        problems = [line for line in (result.stdout + result.stderr).splitlines() if line and line != design_choice]
        assert result.returncode in (0, 3) and not problems, problems


def _run_variable(model: dict) -> dict:
    return next(v for v in model["templating"]["list"] if v["name"] == "run")


def test_runs_are_listed_newest_first_and_only_of_the_chosen_pipeline(stack):
    prom_url, _ = stack
    model = _model("soak-run")
    run = _run_variable(model)
    assert variable_options(prom_url, run, {"pipeline": ".*"}) == [NEWER["run_id"], OLDER["run_id"]]
    assert variable_options(prom_url, run, {"pipeline": OLDER["pipeline"]}) == [OLDER["run_id"]]
    assert resolved_values(prom_url, model)["run"] == NEWER["run_id"]  # the default: the newest run


@pytest.mark.parametrize("identity", [NEWER, OLDER], ids=["newer", "older"])
@pytest.mark.parametrize("pipeline_value", ["chosen", "all"])
def test_each_run_value_returns_only_that_runs_data(stack, identity, pipeline_value):
    """Every selector of every panel, variable and annotation query, at one run's value, matches series of that
    run only (but those of the variables that list the pipelines and runs); the scraped ones (each soak_ metric of
    the catalogue, `up`) have data for either run."""
    prom_url, _ = stack
    model = _model("soak-run")
    chosen = {"pipeline": identity["pipeline"] if pipeline_value == "chosen" else ".*", "run": identity["run_id"]}
    values = resolved_values(prom_url, model, chosen=chosen)
    assert values["run"] == identity["run_id"]
    pushed = ("soak_verdict_", "push_time_seconds", "ALERTS")  # pushed (the newer run's gateway) or alerts
    read = selector_runs(prom_url, model, values)
    for where, selector, runs in read:
        assert runs <= {(identity["pipeline"], identity["run_id"])}, f"{where}: {selector} reads {runs}"
        assert runs or selector.startswith(pushed), f"{where}: no data for run {identity['run_id']}: {selector}"
    assert len(read) > 50 and len([r for r in read if r[2]]) > 40
    assert not failing_queries(prom_url, model, chosen=chosen, require_data=identity is NEWER)
