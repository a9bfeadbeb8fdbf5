"""bench compare on reports in the users' shape: figures by name or spec file, parameters, bad data exits 2."""

import json

import pytest

from soakwatch.bench.cli import main


def _compare(write, baseline, current, *flags):
    return main(["compare", write("a.json", baseline), write("b.json", current), *flags])


def test_equal_foreign_reports_pass_and_say_which_rule_decided(write, foreign, capsys):
    assert _compare(write, foreign, foreign) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "ok: candles_per_sec.median 1,048 -> 1,048 (+0.0%; higher is better by name ends in _per_sec)",
        "ok: p95_stage_latency_ms 21.3 -> 21.3 (+0.0%; lower is better by name ends in _ms)",
        "ok: peak_rss_mb 182.4 -> 182.4 (+0.0%; lower is better by name ends in _mb)",
        "ok: 3 figures (allowed 10.0%, nested figures by median unless the spec says)",
    ]


def test_worse_copy_exits_1_naming_each_figure(write, foreign, capsys):
    worse = {**foreign, "candles_per_sec": {"min": 800.0, "median": 900.0, "p95": 950.0},
             "p95_stage_latency_ms": 30.0, "peak_rss_mb": 250.0}
    assert _compare(write, foreign, worse) == 1
    out = capsys.readouterr().out
    assert "regressed: candles_per_sec.median 1,048 -> 900 (+14.1% worse; higher is better by name ends in " \
           "_per_sec; allowed 10.0%)" in out
    assert "regressed: p95_stage_latency_ms 21.3 -> 30 (+40.8% worse; lower is better by name ends in _ms" in out
    assert "regressed: peak_rss_mb 182.4 -> 250 (+37.1% worse;" in out
    assert "3 of 3 figures regressed" in out


def test_null_figure_is_listed_not_passed(write, foreign, capsys):
    assert _compare(write, foreign, {**foreign, "peak_rss_mb": None}) == 0
    out = capsys.readouterr().out
    assert "not compared: peak_rss_mb (not measured in current)" in out
    assert "ok: 2 figures, 1 not compared" in out


def test_unknown_direction_is_not_compared_until_the_spec_names_it(write, foreign, tmp_path, capsys):
    base, current = {**foreign, "widgets": 10}, {**foreign, "widgets": 5}
    assert _compare(write, base, current) == 0
    assert "not compared: widgets (direction unknown: add it to the spec file)" in capsys.readouterr().out
    spec = tmp_path / "spec.yaml"
    spec.write_text("figures:\n  widgets: {better: higher}\n")
    assert _compare(write, base, current, "--spec", str(spec)) == 1
    assert "regressed: widgets 10 -> 5 (+50.0% worse; higher is better by spec file" in capsys.readouterr().out


def test_spec_selects_the_statistic_and_the_parameters(write, foreign, tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"figures": {"candles_per_sec": {"better": "higher", "compare": "min"}},
                                "parameters": ["symbols"]}))
    base = {**foreign, "symbols": 3}
    current = {**base, "symbols": 4, "candles_per_sec": {"min": 800.0, "median": 1048.2, "p95": 1056.7}}
    assert _compare(write, base, current, "--spec", str(spec)) == 1
    captured = capsys.readouterr()
    assert "regressed: candles_per_sec.min 1,025 -> 800 (+22.0% worse; higher is better by spec file" in captured.out
    assert "note: symbols differs: baseline 3, current 4" in captured.err
    assert "symbols" not in captured.out


def test_missing_statistic_is_not_compared(write, foreign, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("figures:\n  candles_per_sec: {better: higher, compare: p99}\n")
    assert _compare(write, foreign, foreign, "--spec", str(spec)) == 0
    assert "not compared: candles_per_sec (no p99 in baseline)" in capsys.readouterr().out


def test_ignore_and_metadata(write, foreign, capsys):
    base = {**foreign, "host": "ci-1", "commit": "abc", "tags": ["x"], "ok": True}
    assert _compare(write, base, {**base, "peak_rss_mb": 900.0}, "--ignore", "peak_rss_mb") == 0
    out = capsys.readouterr().out
    assert "not compared: peak_rss_mb (ignored)" in out
    assert "host" not in out and "commit" not in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"candles_per_sec": {"min": 1, "median": NaN, "p95": 2}}', "NaN is not a number a report may hold"),
        ('{"p95_stage_latency_ms": Infinity}', "Infinity is not a number a report may hold"),
        ('{"p95_stage_latency_ms": -Infinity}', "-Infinity is not a number a report may hold"),
        ('{"p95_stage_latency_ms": 1e999}', "1e999 is out of range (it reads as infinity)"),
        ('{"p95_stage_latency_ms": "fast"}', "figure p95_stage_latency_ms must be a number, null or an object of "
                                             "numbers like {\"min\", \"median\", \"p95\"}, got string"),
        ('{"p95_stage_latency_ms": true}', "got boolean"),
        ('{"candles_per_sec": {"min": "1", "median": 2}}', "figure candles_per_sec must be a number"),
        ('{"candles_per_sec": {}}', "got object"),
        ("[" * 100000 + "]" * 100000, "structure too deep (more than 20 levels)"),
        ('{"meta": ' + "[" * 25 + "]" * 25 + ', "x_ms": 1}', "structure too deep (more than 20 levels)"),
        ('{"host": "ci-1"}', "has no figures"),
    ],
)
def test_bad_data_exits_2_with_one_line(write, foreign, capsys, text, message):
    assert _compare(write, foreign, text) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "b.json" in captured.err and message in captured.err, captured.err


def test_nan_in_the_baseline_exits_2_not_ok(write, foreign, capsys):
    assert main(["compare", write("a.json", '{"peak_rss_mb": NaN}'), write("b.json", foreign)]) == 2
    assert "a.json: NaN is not a number" in capsys.readouterr().err


def test_modes_must_match(write, foreign, capsys):
    assert _compare(write, {**foreign, "mode": "etl"}, foreign) == 2
    assert "modes differ" in capsys.readouterr().err


def test_nothing_compared_fails(write, foreign, capsys):
    current = {**foreign, "candles_per_sec": None, "p95_stage_latency_ms": None, "peak_rss_mb": None}
    assert _compare(write, foreign, current) == 1
    assert "failed: no figure measured in both reports, 3 not compared" in capsys.readouterr().out


def test_ignored_key_is_not_type_checked(write, foreign, capsys):
    report = {**foreign, "samples_ms": [20.1, 22.5]}
    assert _compare(write, report, report) == 2
    assert "figure samples_ms must be a number" in capsys.readouterr().err
    assert _compare(write, report, report, "--ignore", "samples_ms") == 0
