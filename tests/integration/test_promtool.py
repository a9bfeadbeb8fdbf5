"""promtool: the Prometheus config and rules check clean, and the rule unit tests pass (and can fail)."""

from __future__ import annotations

import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import yaml

from soakwatch import rulegen
from soakwatch.stack import find_binary

ROOT = Path(__file__).resolve().parents[2]
TESTS = sorted((ROOT / "prometheus/tests").glob("*.yml"))


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([find_binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_check_config_loads_the_rules():
    out = _ok(promtool("check", "config", "prometheus/prometheus.yml"))
    assert f"SUCCESS: {len(list((ROOT / 'prometheus/rules').glob('*.yml')))} rule files found" in out


def test_check_rules():
    _ok(promtool("check", "rules", *[str(p) for p in sorted((ROOT / "prometheus/rules").glob("*.yml"))]))


def test_rule_unit_tests_pass():
    assert TESTS
    out = _ok(promtool("test", "rules", *[str(p) for p in TESTS]))
    assert out.count("SUCCESS") == len(TESTS)


def test_rule_unit_tests_fail_when_a_threshold_moves(tmp_path):
    """The tests pin the thresholds: the same tests against rules rendered with other values fail."""
    for part in ("prometheus/rules.in", "prometheus/tests"):
        shutil.copytree(ROOT / part, tmp_path / part)
    text = (ROOT / "prometheus/thresholds.yml").read_text()
    (tmp_path / "prometheus/thresholds.yml").write_text(
        text.replace("value: 5000", "value: 6001").replace("value: 30s", "value: 45s")
        .replace("value: 75m", "value: 60m")
    )
    config = rulegen.load_config(tmp_path / "prometheus/thresholds.yml")
    for path, rendered in rulegen.render_rules(tmp_path, config).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(rendered)
    result = promtool("test", "rules", *[str(p.relative_to(ROOT)) for p in TESTS], cwd=tmp_path)
    assert result.returncode == 1
    assert "alertname: SoakTickRateLow" in result.stderr
    assert "alertname: SoakProcessDown" in result.stderr
    assert "alertname: SoakHarvesterQueueDropped" in result.stderr


def _rules() -> list[dict]:
    return [rule for path in sorted((ROOT / "prometheus/rules").glob("*.yml"))
            for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def _cases() -> list[dict]:
    return [case for path in TESTS for case in yaml.safe_load(path.read_text())["tests"]]


def _tests_by_alert() -> tuple[dict[str, list[dict]], set[str]]:
    by_alert: dict[str, list[dict]] = {}
    exprs: set[str] = set()
    for path in TESTS:
        document = yaml.safe_load(path.read_text())
        interval = _seconds(document["evaluation_interval"])
        for case in document["tests"]:
            for check in case.get("alert_rule_test", []):
                entry = {"case": case["name"], "interval": interval, **check}
                by_alert.setdefault(check["alertname"], []).append(entry)
            exprs |= {test["expr"] for test in case.get("promql_expr_test", [])}
    return by_alert, exprs


def _seconds(text: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for char in text:
        if char.isdigit():
            number += char
        else:
            total, number = total + int(number) * units[char], ""
    return total


def test_every_alert_is_tested_firing_on_time_resolving_and_not_firing():
    by_alert, _ = _tests_by_alert()
    alerts = rulegen.alert_rules([p.read_text() for p in sorted((ROOT / "prometheus/rules").glob("*.yml"))])
    for name in (rule["alert"] for rule in alerts):
        checks = by_alert.get(name, [])
        fired = [c for c in checks if c["exp_alerts"]]
        assert fired, f"{name}: no test where it fires"
        for case in {c["case"] for c in fired}:
            times = sorted((_seconds(c["eval_time"]), bool(c["exp_alerts"])) for c in checks if c["case"] == case)
            first = next(i for i, (_, firing) in enumerate(times) if firing)
            interval = next(c["interval"] for c in checks if c["case"] == case)
            before = times[first - 1] if first else (None, True)
            assert before == (times[first][0] - interval, False), (
                f"{name}: '{case}' does not check that it is quiet one evaluation before it fires"
            )
            assert not times[-1][1], f"{name}: '{case}' does not check that it resolves"
        quiet = [c for c in checks if c["case"].startswith(f"{name} does not fire")]
        assert quiet and all(not c["exp_alerts"] for c in quiet), f"{name}: no 'does not fire when ...' case"


def test_every_recording_rule_has_an_expression_test():
    _, exprs = _tests_by_alert()
    for path in sorted((ROOT / "prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    assert any(rule["record"] in expr for expr in exprs), f"{rule['record']}: no promql_expr_test"


_COUNTER = re.compile(r"\bsoak_[a-z0-9_]+_(?:total|bucket)\b")
_RECORDED = re.compile(r"\b[a-z_]+:soak_[a-z0-9_]+:[a-z0-9_]+\b")
_STEPS = re.compile(r"^(?P<a>-?[0-9.]+(?:e[+-]?[0-9]+)?)(?P<b>[+-][0-9.]+)?x(?P<n>[0-9]+)$")


def _counters(expr: str, recorded: dict[str, str]) -> set[str]:
    """The counters an expression reads, through the recording rules it uses."""
    found = set(_COUNTER.findall(expr))
    for name in _RECORDED.findall(expr):
        found |= _counters(recorded[name], recorded)
    return found


def _values(notation: str) -> list[float | None]:
    """promtool's expanding notation (``0+10x3 _x2 5``) as samples; None is a missing one."""
    out: list[float | None] = []
    for token in notation.split():
        if token in ("_", "stale"):
            out.append(None)
        elif token.startswith("_x"):
            out += [None] * int(token[2:])
        elif match := _STEPS.match(token):
            a, b = float(match["a"]), float(match["b"] or 0)
            out += [a + i * b for i in range(int(match["n"]) + 1)]
        else:
            out.append(float(token))
    return out


def _series_values(case: dict, metrics: set[str]) -> list[list[float]]:
    picked = [s for s in case["input_series"] if s["series"].split("{")[0] in metrics]
    return [[v for v in _values(str(s["values"])) if v is not None] for s in picked]


def test_series_notation_is_read_like_promtool():
    assert _values("0+10x2 _x2 5x1 stale 7 1.5e3") == [0, 10, 20, None, None, 5, 5, None, 7, 1500]


def test_every_alert_that_reads_a_counter_has_a_counter_reset_case():
    """A restart starts counters again at 0: each such alert has a case where one of its counters drops."""
    recorded = {r["record"]: r["expr"] for r in _rules() if "record" in r}
    for rule in (r for r in _rules() if "alert" in r):
        name, counters = rule["alert"], _counters(rule["expr"], recorded)
        if not counters:
            continue
        cases = [c for c in _cases() if c["name"].startswith(f"{name} ") and "(counter reset)" in c["name"]]
        assert cases, f"{name} reads {sorted(counters)}: no '(counter reset)' case"
        for case in cases:
            drops = [v for v in _series_values(case, counters) if any(b < a for a, b in pairwise(v))]
            assert drops, f"{name}: '{case['name']}' has no counter that drops"


def test_every_run_total_alert_fires_for_a_counter_born_above_zero():
    """increase() reads a series' first sample as its base; a run total must count it."""
    for rule in (r for r in _rules() if "alert" in r and "max_over_time(soak_" in r["expr"]):
        name, counters = rule["alert"], set(_COUNTER.findall(rule["expr"]))
        if not counters:
            continue
        cases = [c for c in _cases() if c["name"].startswith(f"{name} fires") and "(born non-zero)" in c["name"]]
        assert cases, f"{name}: no 'fires ... (born non-zero)' case"
        for case in cases:
            assert any(v and v[0] > 0 for v in _series_values(case, counters)), f"{case['name']}: not born above 0"
            assert any(check["exp_alerts"] for check in case["alert_rule_test"]), f"{case['name']}: never fires"
