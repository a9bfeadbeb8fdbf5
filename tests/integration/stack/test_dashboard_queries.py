"""Every query of every dashboard runs without error on a real Prometheus and returns data.

Prometheus (started with soakwatch.stack, config rendered from the checked-in
prometheus.yml) scrapes every metric of the design's catalogue under the real
job names, and the Pushgateway holds a push of job soak_report.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import yaml
from soak_catalogue import CATALOGUE, EXPORTER, PROBE, exposition, serve

from soakwatch.dashboards import DASHBOARDS, dashboard_json
from soakwatch.dashboards.queries import dashboard_queries, failing_queries, run_query
from soakwatch.stack import free_port, render, servers


def _wait_for_history(prom_url: str, timeout: float = 30.0) -> None:
    """Until both catalogue jobs have at least 4 scrapes in the last minute."""
    expr = 'min(count_over_time(soak_exporter_info{job=~"soak_probe|soak_exporter"}[1m])) >= 4'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run_query(prom_url, expr)["data"]["result"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"no scrape history after {timeout} s: {run_query(prom_url, 'up')}")


def _push_report(pushgateway_url: str) -> None:
    body = b"# TYPE soak_report_exports_total counter\nsoak_report_exports_total 3\n"
    request = urllib.request.Request(f"{pushgateway_url}/metrics/job/soak_report", data=body, method="PUT")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status in (200, 202)


@pytest.fixture
def prometheus_with_catalogue(tmp_path, config_dir):
    ports = {key: free_port() for key in ("prometheus", "pushgateway", "probe", "exporter", "alertmanager",
                                          "alert_log")}
    source = config_dir / render.PROMETHEUS_CONFIG
    config = render.render_prometheus(render.load_yaml(source), render.local_targets(ports), source.parent)
    config["global"] = {**config.get("global", {}), "scrape_interval": "1s", "evaluation_interval": "1s"}
    config_file = tmp_path / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    exporters = [serve(PROBE, ports["probe"]), serve(EXPORTER, ports["exporter"])]
    try:
        with servers.pushgateway(tmp_path, ports["pushgateway"]) as pushgateway, \
                servers.prometheus(tmp_path, config_file, ports["prometheus"]) as prometheus:
            _push_report(pushgateway.url)
            _wait_for_history(prometheus.url)
            yield prometheus.url
    finally:
        for exporter in exporters:
            exporter.shutdown()
            exporter.server_close()


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_dashboard_query_runs_and_returns_data(name, prometheus_with_catalogue):
    failures = failing_queries(prometheus_with_catalogue, json.loads(dashboard_json(DASHBOARDS[name])))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_queries_use_only_catalogue_metrics(name):
    model = json.loads(dashboard_json(DASHBOARDS[name]))
    unquoted = [re.sub(r'"[^"]*"', "", query.expr) for query in dashboard_queries(model)]
    used = {metric for expr in unquoted for metric in re.findall(r"\bsoak_[a-z0-9_]+", expr)}
    assert used, "no soak_ metric in any query"
    assert used <= CATALOGUE, f"not in the design's metric catalogue: {sorted(used - CATALOGUE)}"


def test_catalogue_fixture_is_valid_exposition():
    # The design's exact-window gauge carries a quantile label, which promtool's linter flags (only that).
    design_choice = 'soak_nats_window_latency_seconds non-summary metrics should not have "quantile" label'
    for families in (PROBE, EXPORTER):
        result = subprocess.run([servers.find_binary("promtool"), "check", "metrics"],
                                input=exposition(families, 10.0), capture_output=True, text=True, check=False)
        problems = [line for line in (result.stdout + result.stderr).splitlines() if line and line != design_choice]
        assert result.returncode in (0, 3) and not problems, problems
