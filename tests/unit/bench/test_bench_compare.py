"""bench compare: regressions by direction, equal inputs, bad input files and flags."""

import copy

import pytest

from soakwatch.bench.cli import main
from soakwatch.bench.compare import parse_limit
from soakwatch.errors import ConfigError


def _summary(median):
    return {"min": median * 0.9, "median": median, "p95": median * 1.1}


REPORT = {
    "mode": "request", "msgs": 5000, "size": 128, "clients": 2, "rate": None, "repeats": 3, "seed": 1337,
    "requests_per_sec": _summary(6000.0), "latency_p99_ms": _summary(2.8), "latency_p50_ms": _summary(0.3),
    "timeouts": _summary(0.0), "server_cpu_percent": None, "peak_rss_mb": 44.0,
    "runs": [{"requests_per_sec": 6000.0}],
}


def _with(**medians):
    report = copy.deepcopy(REPORT)
    for name, value in medians.items():
        report[name] = _summary(value) if isinstance(report[name], dict) else value
    return report


def test_equal_inputs_pass(write, capsys):
    assert main(["compare", write("a.json", REPORT), write("b.json", REPORT)]) == 0
    out = capsys.readouterr().out
    assert "ok: 5 figures, 1 not compared (allowed 10.0%, request, medians across repeats)" in out
    assert "regressed" not in out
    assert "ok: latency_p99_ms.median 2.8 -> 2.8 (+0.0%; lower is better by soakwatch request figure)" in out
    assert "not compared: server_cpu_percent (not measured in baseline)" in out


def test_injected_latency_regression_fails_naming_figure_and_amount(write, capsys):
    current = _with(latency_p99_ms=3.5)  # +25%
    assert main(["compare", write("a.json", REPORT), write("b.json", current)]) == 1
    out = capsys.readouterr().out
    assert ("regressed: latency_p99_ms.median 2.8 -> 3.5 (+25.0% worse; lower is better by soakwatch request figure; "
            "allowed 10.0%)") in out
    assert "1 of 5 figures regressed" in out


def test_throughput_drop_is_a_regression_and_a_rise_is_not(write, capsys):
    base = write("a.json", REPORT)
    assert main(["compare", base, write("b.json", _with(requests_per_sec=5000.0))]) == 1
    out = capsys.readouterr().out
    assert "regressed: requests_per_sec.median 6,000 -> 5,000 (+16.7% worse; higher is better" in out
    assert main(["compare", base, write("c.json", _with(requests_per_sec=9000.0, latency_p50_ms=0.1))]) == 0


def test_limit_is_respected(write):
    base, current = write("a.json", REPORT), write("b.json", _with(latency_p99_ms=3.5))
    assert main(["compare", base, current, "--max-regression", "30%"]) == 0
    assert main(["compare", base, current, "--max-regression", "20"]) == 1


def test_timeouts_from_zero_regress(write, capsys):
    assert main(["compare", write("a.json", REPORT), write("b.json", _with(timeouts=3.0))]) == 1
    assert "regressed: timeouts.median 0 -> 3 (from zero" in capsys.readouterr().out


def test_peak_figure_and_ignore(write, capsys):
    base, current = write("a.json", REPORT), write("b.json", _with(peak_rss_mb=60.0))
    assert main(["compare", base, current]) == 1
    assert "regressed: peak_rss_mb 44 -> 60" in capsys.readouterr().out
    assert main(["compare", base, current, "--ignore", "peak_rss_mb"]) == 0


def test_parameter_differences_are_noted(write, capsys):
    current = _with()
    current["size"] = 1024
    assert main(["compare", write("a.json", REPORT), write("b.json", current)]) == 0
    assert "note: size differs: baseline 128, current 1024" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "is not a report (must be one JSON object, got array)"),
        ('{"mode": "pubsub"}', "has no figures"),
    ],
)
def test_bad_input_files_exit_2(write, capsys, content, message):
    assert main(["compare", write("a.json", REPORT), write("bad.json", content)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and message in err


def test_missing_file_and_mode_mismatch_exit_2(write, tmp_path, capsys):
    assert main(["compare", write("a.json", REPORT), str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    other = _with()
    other["mode"] = "pubsub"
    other["msgs_per_sec"] = _summary(1.0)
    assert main(["compare", write("a.json", REPORT), write("b.json", other)]) == 2
    assert "modes differ" in capsys.readouterr().err


def test_bad_max_regression_names_the_flag(write, capsys):
    assert main(["compare", write("a.json", REPORT), write("b.json", REPORT), "--max-regression", "lots"]) == 2
    assert "--max-regression" in capsys.readouterr().err
    assert main(["compare", write("a.json", REPORT), write("b.json", REPORT), "--max-regression", "-5%"]) == 2
    assert "--max-regression" in capsys.readouterr().err


def test_parse_limit():
    assert parse_limit("10%") == pytest.approx(0.10)
    assert parse_limit("2.5") == pytest.approx(0.025)
    with pytest.raises(ConfigError, match="--max-regression"):
        parse_limit("ten")
