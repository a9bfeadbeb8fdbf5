"""verify-soak compare on bundles written here: dispatch, per-process keys, formats, bundle, exit codes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from soakwatch.cli import main as soakwatch_main
from soakwatch.verify.cli import main
from soakwatch.verify.compare.metrics import DEFAULTS
from soakwatch.verify.compare.series import Side, document

START = 1767225600.0
PROCESSES = ("harvest", "signal", "broker", "report")
VALUES = {"tick_rate": 6000.0, "tick_latency_p50": 0.001, "tick_latency_p99": 0.004, "rss": 100e6,
          "rss_growth": 2e6, "cpu": 0.05, "open_fds": 40.0, "signal_rate": 2.0, "export_rate": 1.0,
          "restarts": 0.0, "downtime": 0.0}


def bundle(tmp_path: Path, name: str, seed: int, change: dict[tuple[str, str], float] | None = None,
           processes: tuple[str, ...] = PROCESSES, n: int = 30) -> Path:
    rng, change = random.Random(seed), change or {}
    side = Side(name, START, START + n * 60, 60.0)
    for m in DEFAULTS:
        keys = processes if m.per_process else ("",)
        side.samples[m.name] = {k: [(START + (i + 1) * 60, VALUES[m.name] * change.get((m.name, k), 1.0)
                                     * (1 + rng.gauss(0, 0.01))) for i in range(n)] for k in keys}
    path = tmp_path / name
    path.mkdir()
    (path / "series.json").write_text(json.dumps(document(side, DEFAULTS)))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["compare", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_regressed_process_is_named_and_exits_1(tmp_path, capsys):
    baselines = [bundle(tmp_path, f"b{i}", i) for i in range(3)]
    cand = bundle(tmp_path, "cand", 9, {("rss", "broker"): 1.5})
    code, out, _ = run(capsys, *(f"--baseline={b}" for b in baselines), "--candidate", cand)
    row = next(line for line in out.splitlines() if line.startswith("rss ") and " broker " in line)
    assert "REGRESSION" in row and "(n=90)" in row and "(n=30)" in row and "+49.4% (worse)" in row
    assert out.splitlines()[-1].startswith("verdict: REGRESSION (score 95.7 of 100; regressed: rss{process=broker}")
    assert code == 1


def test_clean_bundles_pass_and_the_bundle_has_every_format(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "--baseline", bundle(tmp_path, "b", 1), "--candidate", bundle(tmp_path, "c", 2),
                       "--out", out_dir, "--format", "markdown")
    assert code == 0 and out.startswith("# Soak comparison: NO REGRESSION")
    doc = json.loads((out_dir / "comparison.json").read_text())
    assert (doc["verdict"], doc["score"], doc["exit_code"], len(doc["metrics"])) == ("no regression", 100.0, 0, 23)
    html = (out_dir / "report.html").read_text()
    assert html.count('<svg class="plot"') == 23 and "baseline 1" in html
    assert 'failures="0"' in (out_dir / "junit.xml").read_text()
    assert (out_dir / "comparison.txt").read_text().splitlines()[-1].startswith("verdict: NO REGRESSION")


def test_a_process_missing_on_one_side_is_insufficient_data(tmp_path, capsys):
    cand = bundle(tmp_path, "c", 2, processes=("harvest", "signal", "broker"))
    code, out, _ = run(capsys, "--baseline", bundle(tmp_path, "b", 1), "--candidate", cand, "--format", "json")
    doc = json.loads(out)
    missing = [m for m in doc["metrics"] if m["process"] == "report"]
    assert {m["result"] for m in missing} == {"insufficient data"}
    assert missing[0]["note"].startswith("no process report series in candidate")
    assert (code, doc["verdict"]) == (2, "insufficient data")


def test_a_regression_outranks_insufficient_data(tmp_path, capsys):
    cand = bundle(tmp_path, "c", 2, {("tick_latency_p99", ""): 2.0}, processes=("harvest",))
    code, out, _ = run(capsys, "--baseline", bundle(tmp_path, "b", 1), "--candidate", cand, "--format", "junit")
    assert code == 1 and 'failures="13"' in out  # p99 and 12 missing process keys


def test_a_side_with_values_in_half_of_its_steps_is_insufficient_data(tmp_path, capsys):
    cand = bundle(tmp_path, "c", 2)
    doc = json.loads((cand / "series.json").read_text())
    doc["metrics"]["tick_rate"]["samples"][""] = doc["metrics"]["tick_rate"]["samples"][""][:15]  # the probe died
    (cand / "series.json").write_text(json.dumps(doc))
    code, out, _ = run(capsys, "--baseline", bundle(tmp_path, "b", 1), "--candidate", cand, "--format", "json")
    rate = json.loads(out)["metrics"][0]
    assert (rate["metric"], rate["result"], rate["n_candidate"]) == ("tick_rate", "insufficient data", 15)
    assert rate["note"] == "candidate has values in 15 of 30 steps (need 90% of each window)"
    assert code == 2


def test_short_bundles_are_insufficient_data(tmp_path, capsys):
    code, out, _ = run(capsys, "--baseline", bundle(tmp_path, "b", 1, n=3), "--candidate",
                       bundle(tmp_path, "c", 2, n=3))
    assert code == 2 and out.splitlines()[-1].startswith("verdict: INSUFFICIENT DATA (score 0.0 of 100")


@pytest.mark.parametrize(("args", "message"), [
    ([], "invalid config: --baseline or --baseline-until is required"),
    (["--baseline", "{tmp}/none"], "invalid config: --baseline must be an evidence bundle with series.json"),
    (["--baseline", "{tmp}/bad", "--candidate", "{tmp}/bad"], "invalid config: --baseline {tmp}/bad/series.json "
                                                               "is not a soakwatch-series/1 document"),
    (["--baseline", "{tmp}/b", "--candidate", "{tmp}/b", "--candidate-until", "1767225600"],
     "invalid config: --candidate cannot be combined with --candidate-until"),
    (["--baseline", "{tmp}/b", "--step", "1x", "--candidate-until", "1767225600"],
     "invalid config: --step must be a Prometheus duration"),
])
def test_usage_errors_exit_2_naming_the_flag(tmp_path, capsys, args, message):
    bundle(tmp_path, "b", 1)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "series.json").write_text("{}")
    code, _, err = run(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert code == 2 and message.replace("{tmp}", str(tmp_path)) in err


def test_soakwatch_verify_compare_is_the_same_command(capsys):
    assert soakwatch_main(["verify", "compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: soakwatch verify compare") and "--baseline-until" in out and "COMPARE_STEP" in out
