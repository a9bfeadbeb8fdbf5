"""verify-soak against VictoriaMetrics: the passing run passes through its Prometheus query API too."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from verify_support import BASE

from soakwatch.stack import victoria_metrics
from soakwatch.testing.soak_history import LENGTH, build
from soakwatch.verify.cli import main
from soakwatch.verify.criteria import ORDER


def test_passing_run_passes_on_victoriametrics(tmp_path: Path, capsys):
    # the history lies in the past: keep everything, and answer queries on fresh data at once
    with victoria_metrics(tmp_path, extra_args=["-retentionPeriod=100y"]) as vm:
        body = build(BASE).prometheus_text().encode()
        urllib.request.urlopen(urllib.request.Request(f"{vm.url}/api/v1/import/prometheus", data=body), timeout=30)
        urllib.request.urlopen(f"{vm.url}/internal/force_flush", timeout=30)
        code = main(["--prometheus-url", vm.url, "--since", "60m", "--until", str(BASE + LENGTH), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["result"] for c in document["criteria"]} == dict.fromkeys(ORDER, "pass")
    assert code == 0
