"""bench compare --budget / --budget-file: absolute budgets on the current report."""

import pytest

from soakwatch.bench.budgets import Budget, parse_budget
from soakwatch.bench.cli import main
from soakwatch.errors import ConfigError


def _compare(write, foreign, *flags, current=None):
    return main(["compare", write("a.json", foreign), write("b.json", current or foreign), *flags])


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("candles_per_sec.min>=833", Budget("candles_per_sec.min", ">=", 833.0)),
        (" p95_stage_latency_ms < 50 ", Budget("p95_stage_latency_ms", "<", 50.0)),
        ("errors==0", Budget("errors", "==", 0.0)),
        ("x.p99_9<=1e-3", Budget("x.p99_9", "<=", 0.001)),
    ],
)
def test_parse_budget(text, budget):
    assert parse_budget(text) == budget


@pytest.mark.parametrize("text", ["candles_per_sec", "x >= fast", "x => 3", ">= 3", "x < nan", "x < inf", "x<1 2"])
def test_bad_budget_names_the_flag_and_the_syntax(text):
    with pytest.raises(ConfigError, match=r"invalid config: --budget must be FIGURE\[\.STAT\] OP NUMBER"):
        parse_budget(text)


def test_budgets_met_exit_0(write, foreign, capsys):
    assert _compare(write, foreign, "--budget", "candles_per_sec.min>=833", "--budget", "p95_stage_latency_ms<50") == 0
    out = capsys.readouterr().out
    assert "budget met: candles_per_sec.min >= 833 (current 1,025)" in out
    assert "budget met: p95_stage_latency_ms < 50 (current 21.3)" in out
    assert "ok: 3 figures, 2 budgets met" in out


def test_budget_breach_exits_1_without_any_regression(write, foreign, capsys):
    assert _compare(write, foreign, "--budget", "candles_per_sec.min>=1100") == 1
    out = capsys.readouterr().out
    assert "budget breached: candles_per_sec.min >= 1100 (current 1,025)" in out
    assert "0 of 3 figures regressed, 1 of 1 budgets breached" in out


def test_nested_figure_without_statistic_uses_the_median(write, foreign, capsys):
    assert _compare(write, foreign, "--budget", "candles_per_sec>1040") == 0
    assert "budget met: candles_per_sec > 1040 (current 1,048)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("budget", "shown"),
    [("peak_rss_mb<600", "(not measured)"), ("gc_pause_ms<5", "(not in "), ("candles_per_sec.p99>1", "(no p99)"),
     ("p95_stage_latency_ms.max<50", "(p95_stage_latency_ms is a plain number, it has no max)")],
)
def test_budget_without_a_value_is_breached(write, foreign, capsys, budget, shown):
    current = {**foreign, "peak_rss_mb": None}
    assert _compare(write, foreign, "--budget", budget, current=current) == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("budget"))
    assert line.startswith("budget breached:") and shown in line


def test_budget_file_yaml_and_json(write, foreign, tmp_path, capsys):
    yaml_file = tmp_path / "budgets.yaml"
    yaml_file.write_text("budgets:\n  - candles_per_sec.min >= 833\n  - p95_stage_latency_ms < 20\n")
    assert _compare(write, foreign, "--budget-file", str(yaml_file)) == 1
    assert "budget breached: p95_stage_latency_ms < 20 (current 21.3)" in capsys.readouterr().out
    json_file = tmp_path / "budgets.json"
    json_file.write_text('{"budgets": ["peak_rss_mb < 600"]}')
    assert _compare(write, foreign, "--budget-file", str(json_file), "--budget", "candles_per_sec.min>=833") == 0
    assert "2 budgets met" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("budgets:\n  - x_ms < 5\n  - fast\n", "invalid config: budgets[1] must be FIGURE[.STAT] OP NUMBER"),
        ("budgets: []\n", "invalid config: budgets must be a non-empty list"),
        ("budget: [x_ms < 5]\n", "invalid config: budget is not a field of"),
        ("- x_ms < 5\n", "must be a YAML mapping"),
    ],
)
def test_bad_budget_file_exits_2(write, foreign, tmp_path, capsys, content, message):
    path = tmp_path / "budgets.yaml"
    path.write_text(content)
    assert _compare(write, foreign, "--budget-file", str(path)) == 2
    assert message in capsys.readouterr().err


def test_bad_budget_flag_exits_2(write, foreign, capsys):
    assert _compare(write, foreign, "--budget", "latency is low") == 2
    assert "invalid config: --budget must be" in capsys.readouterr().err
