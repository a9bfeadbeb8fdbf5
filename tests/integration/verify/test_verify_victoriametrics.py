"""verify-soak against VictoriaMetrics: the passing run passes through its Prometheus query API too."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from verify_support import BASE

from soakwatch.stack import victoria_metrics
from soakwatch.testing.soak_history import LENGTH, History, build
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


def test_two_runs_on_victoriametrics_are_refused_then_judged_one_by_one(tmp_path: Path, capsys):
    history = History().merge(build(BASE), pipeline="dev", run_id="r-clean")
    history.merge(build(BASE, "tick_rate"), pipeline="nightly", run_id="r-broken")
    window = ["--prometheus-url", "", "--since", "60m", "--until", str(BASE + LENGTH)]
    with victoria_metrics(tmp_path, extra_args=["-retentionPeriod=100y"]) as vm:
        body = history.prometheus_text().encode()
        urllib.request.urlopen(urllib.request.Request(f"{vm.url}/api/v1/import/prometheus", data=body), timeout=30)
        urllib.request.urlopen(f"{vm.url}/internal/force_flush", timeout=30)
        window[1] = vm.url
        refused = main(window)
        err = capsys.readouterr().err
        outcomes = {}
        for run_id in ("r-clean", "r-broken"):
            code = main([*window, "--run-id", run_id, "--format", "json"])
            document = json.loads(capsys.readouterr().out)
            outcomes[run_id] = (code, {c["id"] for c in document["criteria"] if c["result"] != "pass"},
                                document["scope"]["pipeline"])
    assert refused == 2
    assert "--pipeline dev --run-id r-clean" in err and "--pipeline nightly --run-id r-broken" in err
    assert err.count("seen 2026-01-01T00:05:") == 2 and err.count(".. 2026-01-01T01:05:00Z") == 2, err  # to a step
    assert outcomes == {"r-clean": (0, set(), "dev"), "r-broken": (1, {"tick_rate"}, "nightly")}


def test_an_earlier_run_of_the_same_day_is_not_in_the_window(tmp_path: Path, capsys):
    """VictoriaMetrics' series index is per day: the run three hours earlier is listed there but has no sample in
    the window, so the later run is judged without a scope; a live verdict's pushed states are no run."""
    history = History().merge(build(BASE, "tick_rate"), pipeline="dev", run_id="earlier")
    history.merge(build(BASE + 3 * 3600), pipeline="dev", run_id="later")
    for t in range(BASE + 3 * 3600, BASE + 3 * 3600 + LENGTH, 15):
        history.add("soak_verdict_state", t, 1, criterion="tick_rate", state="passing", run_id="watcher")
    with victoria_metrics(tmp_path, extra_args=["-retentionPeriod=100y"]) as vm:
        body = history.prometheus_text().encode()
        urllib.request.urlopen(urllib.request.Request(f"{vm.url}/api/v1/import/prometheus", data=body), timeout=30)
        urllib.request.urlopen(f"{vm.url}/internal/force_flush", timeout=30)
        code = main(["--prometheus-url", vm.url, "--since", "60m", "--until", str(BASE + 3 * 3600 + LENGTH),
                     "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert (code, document["run_id"], [r["run_id"] for r in document["scope"]["runs"]]) == (0, "later", ["later"])
