"""verify-soak compare against a real Prometheus holding backfilled 60-minute runs: clean runs of one build with
different noise never regress; a lagging and a leaking candidate are flagged on the right metric and process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from verify_support import BASE, SPACING, backfill, start_prometheus

from soakwatch.stack import Server
from soakwatch.testing.soak_history import LENGTH, History, Variant, build
from soakwatch.verify.cli import main

RUNS = {
    "clean1": Variant(noise_seed=1), "clean2": Variant(noise_seed=2), "clean3": Variant(noise_seed=3),
    "clean4": Variant(noise_seed=4), "clean5": Variant(noise_seed=5), "clean6": Variant(noise_seed=6),
    # p99 about 4 ms -> 9 ms: a lag that still passes verify-soak's fixed 10 ms p99
    "lag": Variant(noise_seed=7, slow_share=0.012),
    # the broker's RSS grows 40 MB/h instead of 5: under verify-soak's 50 MB/h limit
    "leak": Variant(noise_seed=8, growth={"broker": 40.0}),
}


def until(run: str) -> str:
    return str(BASE + list(RUNS).index(run) * SPACING + LENGTH)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    history = History()
    for index, variant in enumerate(RUNS.values()):
        build(BASE + index * SPACING, variant=variant, history=history)
    workdir = tmp_path_factory.mktemp("compare-history")
    with start_prometheus(workdir, backfill(history, workdir)) as server:
        yield server


def compare(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["compare", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def store_args(store: Server, baselines: list[str], candidate: str) -> list[str]:
    return ["--prometheus-url", store.url, *(f"--baseline-until={until(b)}" for b in baselines),
            "--candidate-until", until(candidate)]


def results(document: dict) -> dict[str, str]:
    return {(m["metric"] + (f"/{m['process']}" if m["process"] else "")): m["result"] for m in document["metrics"]}


@pytest.mark.parametrize("candidate", ["clean4", "clean5", "clean6"])
def test_a_clean_run_of_the_same_build_never_regresses(store, capsys, candidate):
    code, document = compare(capsys, *store_args(store, ["clean1", "clean2", "clean3"], candidate))
    assert [m for m in document["metrics"] if m["result"] in ("regression", "insufficient data")] == []
    assert (code, document["verdict"], document["score"]) == (0, "no regression", 100.0)
    assert all(m["n_candidate"] == 60 and m["n_baseline"] == 180 for m in document["metrics"])


def test_a_lagging_candidate_regresses_on_tick_latency_p99(store, capsys):
    code, document = compare(capsys, *store_args(store, ["clean1", "clean2", "clean3"], "lag"))
    p99 = next(m for m in document["metrics"] if m["metric"] == "tick_latency_p99")
    assert p99["result"] == "regression" and p99["p_value"] < 0.01 and p99["change"] > 0.10
    assert p99["candidate"] < 0.010, "the lag stays under verify-soak's fixed p99 limit"
    assert {k for k, v in results(document).items() if v == "regression"} <= {"tick_latency_p99", "tick_latency_p50"}
    assert (code, document["verdict"]) == (1, "regression")


def test_a_leaking_candidate_regresses_on_rss_growth_of_that_process(store, capsys):
    code, document = compare(capsys, *store_args(store, ["clean1", "clean2", "clean3"], "leak"))
    regressed = {k for k, v in results(document).items() if v == "regression"}
    assert "rss_growth/broker" in regressed
    assert regressed <= {"rss_growth/broker", "rss/broker"}
    growth = next(m for m in document["metrics"] if m["metric"] == "rss_growth" and m["process"] == "broker")
    assert growth["p_value"] < 0.01 and growth["effect"] > 0.3
    assert code == 1


def test_bundles_compare_like_the_store_and_name_the_regression(store, capsys, tmp_path):
    for run in ("clean1", "lag"):
        main(["--prometheus-url", store.url, "--since", "60m", "--until", until(run), "--out", str(tmp_path / run),
              "--format", "json"])
    capsys.readouterr()
    series = json.loads((tmp_path / "lag" / "series.json").read_text())
    assert series["step_seconds"] == 60 and len(series["metrics"]["tick_latency_p99"]["samples"][""]) == 60
    assert set(series["metrics"]["rss"]["samples"]) == {"harvest", "signal", "broker", "report"}
    out = tmp_path / "comparison"
    code = main(["compare", "--baseline", str(tmp_path / "clean1"), "--candidate", str(tmp_path / "lag"),
                 "--out", str(out)])
    text = capsys.readouterr().out
    line = next(line for line in text.splitlines() if line.startswith("tick_latency_p99"))
    assert "REGRESSION" in line and "(worse)" in line
    assert text.rstrip().splitlines()[-1].startswith("verdict: REGRESSION")
    assert code == 1
    html = (out / "report.html").read_text()
    assert html.count('<svg class="plot"') == len(json.loads((out / "comparison.json").read_text())["metrics"])
    assert "baseline 1" in html and "candidate" in html
    assert 'failures="1"' in (out / "junit.xml").read_text()


def test_a_short_window_is_insufficient_data_never_a_pass(store, capsys):
    # five minutes in the middle of the runs (the last minutes hold the shutdown: processes have no samples)
    args = ["--prometheus-url", store.url, "--baseline-until", str(int(until("clean1")) - 1800),
            "--candidate-until", str(int(until("clean2")) - 1800)]
    code, document = compare(capsys, *args, "--baseline-since", "5m", "--candidate-since", "5m")
    assert {m["result"] for m in document["metrics"]} == {"insufficient data"}
    assert (code, document["verdict"]) == (2, "insufficient data")
    code, document = compare(capsys, *args, "--baseline-since", "5m", "--candidate-since", "5m", "--step", "15s")
    assert (code, document["verdict"]) == (0, "no regression")


def test_bundles_of_different_steps_are_refused(store, capsys, tmp_path):
    for run, step in (("clean1", "60s"), ("clean2", "30s")):
        main(["--prometheus-url", store.url, "--until", until(run), "--out", str(tmp_path / run),
              "--series-step", step])
    capsys.readouterr()
    code = main(["compare", "--baseline", str(tmp_path / "clean1"), "--candidate", str(tmp_path / "clean2")])
    assert code == 2
    assert "invalid config: --step must be the same on every side" in capsys.readouterr().err
