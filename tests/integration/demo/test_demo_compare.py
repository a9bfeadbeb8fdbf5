"""verify-soak compare on real demo runs in one local stack: clean runs never regress against each other; a run
whose ticks lag regresses on tick latency p99, one whose broker leaks on the broker's RSS growth.

Three runs, about four minutes: A (60 s clean, two baseline windows), C (30 s clean, a third baseline from
another run) and B (90 s: 30 s clean, 30 s ``lag:ticks``, 30 s ``leak:broker``, one window each). The windows
are 30 s, so the comparison samples every 3 s (``--step``; Prometheus scrapes every second and this stack's
exporter samples the processes every second): 10 samples a side and window, the default ``min_samples``. The
host's other load is the noise: the clean comparisons hold only if the judge withstands it. Each clean window
is a candidate against the other three: with one 30 s baseline, no spread of the good build is known, and p99
moved by 2 ms (2.2 to 4.2 ms, p = 0.004) between the two halves of one clean run.
"""

from __future__ import annotations

import pytest

from soakwatch.testing.demo_runs import DEMO_ARGS, DemoStack, fast_exporter_config, judgement

SEGMENT = 30.0
STEP = "3s"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compare-runs")
    stack = DemoStack(tmp / "state", (*DEMO_ARGS, "--warmup=5"), fast_exporter_config(tmp / "exporter.yaml"))
    stack.up()
    try:
        a = stack.run("clean-a", 2 * SEGMENT / 60)
        c = stack.run("clean-c", SEGMENT / 60)
        b = stack.run("faults-b", 3 * SEGMENT / 60, f"lag:ticks@{SEGMENT:g}s+{SEGMENT:g}s=0.05",
                      f"leak:broker@{2 * SEGMENT:g}s+{SEGMENT:g}s=30")
        windows = {"a1": a.segment("a1", 0, SEGMENT), "a2": a.segment("a2", SEGMENT, SEGMENT),
                   "c": c.segment("c", 0, SEGMENT), "clean": b.segment("clean", 0, SEGMENT),
                   "lag": b.segment("lag", SEGMENT, SEGMENT), "leak": b.segment("leak", 2 * SEGMENT, SEGMENT)}
        yield stack, windows
    finally:
        stack.down()


@pytest.mark.slow
@pytest.mark.parametrize("candidate", ["a1", "a2", "c", "clean"])
def test_a_clean_run_is_no_regression_against_three_clean_baselines(runs, candidate):
    stack, w = runs
    baselines = [name for name in ("a1", "a2", "c", "clean") if name != candidate]
    code, document = stack.compare([w[b] for b in baselines], w[candidate], STEP)
    regressed = [(m["metric"], m["process"], m["baseline"], m["candidate"], m["p_value"], m["spread"])
                 for m in document["metrics"] if m["result"] == "regression"]
    assert (code, document["verdict"]) == (0, "no regression"), regressed
    assert all(m["n_candidate"] >= 10 for m in document["metrics"]), document["metrics"]


@pytest.mark.slow
def test_lagging_ticks_regress_on_p99_with_the_change_and_p_value(runs):
    stack, w = runs
    code, document = stack.compare([w["a1"], w["a2"], w["c"]], w["lag"], STEP)
    p99 = judgement(document, "tick_latency_p99")
    assert p99["result"] == "regression", p99
    assert p99["candidate"] > 0.05 and p99["change"] > 0.5 and p99["p_value"] < 0.01, p99
    assert (code, document["verdict"]) == (1, "regression")


@pytest.mark.slow
def test_a_leaking_broker_regresses_on_its_rss_growth(runs):
    stack, w = runs
    code, document = stack.compare([w["a1"], w["a2"], w["c"]], w["leak"], STEP)
    growth = judgement(document, "rss_growth", "broker")
    assert growth["result"] == "regression", growth
    assert growth["candidate"] > 600 * 1024 * 1024 and growth["p_value"] < 0.01, growth  # 30 MB/min: 1.8 GB/h
    assert [m for m in document["metrics"] if m["metric"] == "rss_growth" and m["result"] == "regression"] == [growth]
    assert code == 1
