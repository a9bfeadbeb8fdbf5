"""A real exporter (health from liveness, harvester from a run manifest) scraped by a real Prometheus: verify-soak
reads soak_exporter_source_info once and says in verdict.json and the reports which source each criterion used."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from soakwatch.stack import free_port
from soakwatch.stack.servers import prometheus
from soakwatch.verify.cli import main as verify_main
from soakwatch.verify.sources import QUERY

LIVENESS = "health: liveness only (process up, no heartbeats)"


def _config(marker: str, manifest: str) -> str:
    match = "".join(f"    {role}: {{cmdline: '{re.escape(marker)}\\s+{role}\\b'}}\n" for role in ("ingest", "score"))
    return (f"processes:\n  interval: 0.5\n  match:\n{match}health:\n  source: liveness\n  interval: 0.5\n"
            f"manifest: {{path: '{manifest}', interval: 0.5}}\nharvester: {{source: manifest}}\n")


def _count(prom_url: str, expr: str) -> float:
    url = f"{prom_url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            result = json.loads(response.read())["data"]["result"]
    except OSError:
        return 0.0
    return float(result[0]["value"][1]) if result else 0.0


@pytest.mark.timeout(120)
def test_verdict_names_liveness_and_manifest_as_the_sources(tmp_path, repo_root, capsys):
    marker = f"soakwatch-verify-sources-{uuid.uuid4().hex}"
    manifest = tmp_path / "run_manifest.json"
    manifest.write_text(json.dumps({"harvester_metrics": {"queue_dropped": 0, "substream_timeouts": 0,
                                                          "reconnect_count": 0}}))
    (tmp_path / "soak.yaml").write_text(_config(marker, str(manifest)))
    (tmp_path / "criteria.yaml").write_text("processes: [ingest, score]\n")
    port = free_port()
    prom_config = tmp_path / "prometheus.yml"
    prom_config.write_text(f"global: {{scrape_interval: 500ms}}\nscrape_configs:\n  - job_name: soak_exporter\n"
                           f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    children = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", marker, role])
                for role in ("ingest", "score")]
    exporter = subprocess.Popen([sys.executable, "-m", "soakwatch", "export", "--config", str(tmp_path / "soak.yaml"),
                                 "--web.listen-address", f"127.0.0.1:{port}"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    prom = prometheus(tmp_path, prom_config).start()
    try:
        deadline = time.monotonic() + 60
        healthy = 'soak_health_checks_total{process="score",status="healthy"}'
        while _count(prom.url, f"count_over_time({healthy}[12s])") < 20:  # >= 10 s of liveness checks scraped
            assert exporter.poll() is None, exporter.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "prometheus never held 10 s of liveness checks"
            time.sleep(0.5)
        out = tmp_path / "evidence"
        code = verify_main(["--prometheus-url", prom.url, "--since", "10s", "--only", "health_green,harvester_slo",
                            "--criteria", str(tmp_path / "criteria.yaml"), "--out", str(out)])
    finally:
        prom.stop()
        exporter.terminate()
        exporter.wait(15)
        for child in children:
            child.kill()
            child.wait()
    text = capsys.readouterr().out
    verdict = {c["id"]: c for c in json.loads((out / "verdict.json").read_text())["criteria"]}
    assert verdict["health_green"]["result"] == "pass", verdict["health_green"]
    assert verdict["health_green"]["processes"] == {"ingest": "pass", "score": "pass"}
    assert verdict["health_green"]["source"] == LIVENESS
    assert verdict["harvester_slo"]["source"] == "harvester: manifest"
    assert code in (0, 1)
    entries = json.loads((out / "queries.json").read_text())["queries"]
    assert [e["query"] for e in entries if e["owner"] == "sources"] == [QUERY.replace("$window", "10s")]
    assert f"- Data source: {LIVENESS}" in (out / "report.md").read_text()
    assert f"data source: {LIVENESS}" in (out / "report.html").read_text()
    assert f"  health_green: {LIVENESS}" in text
