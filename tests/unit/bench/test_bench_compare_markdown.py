"""bench compare --format markdown: verdict, figures with their rule, budgets, parameters, environment."""

import platform

from soakwatch.bench.cli import main


def _markdown(write, baseline, current, *flags):
    code = main(["compare", write("a.json", baseline), write("b.json", current), "--format", "markdown", *flags])
    return code


def test_markdown_report_of_a_failed_comparison(write, foreign, capsys):
    baseline = {**foreign, "widgets": 1, "environment": {"host": "ci|1", "cpu": "Xeon (2 cores)", "python": "3.12.1"},
                "server_version": "2.9.10"}
    current = {**baseline, "candles": 60000, "candles_per_sec": {"min": 800.0, "median": 900.0, "p95": 950.0},
               "peak_rss_mb": None}
    del current["environment"]
    code = _markdown(write, baseline, current, "--budget", "candles_per_sec.min>=833", "--budget", "x_ms<1")
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "# Benchmark comparison: FAIL"
    assert lines[2] == ("**FAIL**: 1 of 2 figures regressed by more than 10.0%; 2 of 2 budgets breached; "
                        "2 figures not compared.")
    for row in [
        "| figure | baseline | current | change | better | direction decided by | result |",
        "| candles_per_sec.median | 1,048 | 900 | -14.1% | higher | name ends in _per_sec | regressed |",
        "| p95_stage_latency_ms | 21.3 | 21.3 | +0.0% | lower | name ends in _ms | ok |",
        "| peak_rss_mb |  |  |  |  |  | not compared (not measured in current) |",
        "| widgets |  |  |  |  |  | not compared (direction unknown: add it to the spec file) |",
        "| candles_per_sec.min >= 833 | 800 | breached |",
        "| parameter | baseline | current |",
        "| candles | 50000 | 60000 |",
        "| host | ci\\|1 | not recorded |",
        "| CPU | Xeon (2 cores) | not recorded |",
        "| Python | 3.12.1 | not recorded |",
        "| nats-server | 2.9.10 | 2.9.10 |",
    ]:
        assert row in lines, row
    assert any(line.startswith("| x_ms < 1 | (not in ") and line.endswith("| breached |") for line in lines)
    assert f"Compared on {platform.node()} (" in out and f"Python {platform.python_version()})." in out


def test_markdown_report_of_a_pass(write, foreign, capsys):
    assert _markdown(write, foreign, foreign) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Benchmark comparison: PASS\n\n**PASS**: 0 of 3 figures regressed by more than 10.0%.\n")
    assert "No budgets given." in out and "The run parameters of both reports are equal." in out


def test_markdown_report_when_nothing_was_compared(write, foreign, capsys):
    current = {**foreign, "candles_per_sec": None, "p95_stage_latency_ms": None, "peak_rss_mb": None}
    assert _markdown(write, foreign, current) == 1
    assert "**FAIL**: no figure measured in both reports; 3 figures not compared." in capsys.readouterr().out


def test_bad_format_from_the_environment_exits_2(write, foreign, capsys, monkeypatch):
    monkeypatch.setenv("SOAK_BENCH_FORMAT", "html")
    assert main(["compare", write("a.json", foreign), write("b.json", foreign)]) == 2
    assert "invalid config: --format [env SOAK_BENCH_FORMAT] must be one of text, markdown, got 'html'" in \
        capsys.readouterr().err
