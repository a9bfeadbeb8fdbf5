"""The criteria file: overrides, disabling, custom criteria, and errors that name the field."""

from pathlib import Path

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.cli import select
from soakwatch.verify.config import default_settings, load_settings, parse_settings
from soakwatch.verify.criteria import ORDER, REGISTRY


def by_id(settings):
    return {c.id: c for c in settings.criteria}


def test_defaults_are_the_design_table():
    settings = default_settings()
    assert [c.id for c in settings.criteria] == list(ORDER)
    assert settings.processes == ("harvest", "signal", "broker", "report")
    assert settings.min_coverage == 0.9
    c = by_id(settings)
    assert c["tick_rate"].check("rate").threshold == 5000
    assert c["parse_gaps"].check("ratio").threshold == 0.001
    assert (c["tick_latency"].check("p99").threshold, c["tick_latency"].check("mean").threshold) == (0.010, 0.005)
    assert c["tick_latency"].severity == "warning"
    assert c["health_green"].check("healthy_ratio").threshold == 0.98
    assert c["harvester_slo"].check("reconnects").threshold == 3
    assert c["resources"].check("max_rss").threshold == 600 * 2**20
    assert c["resources"].check("max_open_fds").threshold == 256
    assert c["memory_growth"].check("growth").threshold == 50 * 2**20
    assert c["restart_recovery"].check("downtime").threshold == 12
    assert {cid for cid, crit in c.items() if crit.per_process} == {
        "health_green", "resources", "memory_growth", "restart_recovery"}


def test_every_builtin_reads_raw_soak_metrics_only():
    for criterion in REGISTRY.values():
        queries = [criterion.coverage, criterion.series, *(c.query for c in criterion.checks)]
        for query in queries:
            assert ":" not in query.split("{")[0], f"{criterion.id} uses a recording rule: {query}"
            assert "soak_" in query or "ALERTS" in query, query


def test_overrides_disable_and_custom(tmp_path: Path):
    path = tmp_path / "c.yml"
    path.write_text(
        "processes: [harvest, signal]\nmin_coverage: 0.95\ncriteria:\n"
        "  tick_rate: {threshold: 20000}\n"
        "  tick_latency: {thresholds: {p99: 0.02}, severity: critical}\n"
        "  shutdown_order: {enabled: false}\n"
        "  fds_total:\n    query: sum(soak_process_open_fds)\n    op: '<'\n    threshold: 1000\n"
        "    per_process: true\n    severity: warning\n"
    )
    settings = load_settings(path)
    c = by_id(settings)
    assert settings.processes == ("harvest", "signal") and settings.min_coverage == 0.95
    assert c["tick_rate"].check("rate").threshold == 20000
    assert c["tick_latency"].check("p99").threshold == 0.02 and c["tick_latency"].check("mean").threshold == 0.005
    assert c["tick_latency"].severity == "critical"
    assert "shutdown_order" not in c and settings.disabled == ("shutdown_order",)
    custom = c["fds_total"]
    assert (custom.source, custom.severity, custom.per_process) == ("custom", "warning", True)
    assert custom.series == "sum(soak_process_open_fds)"
    assert settings.snapshot()["criteria"][-1]["id"] == "fds_total"


@pytest.mark.parametrize(("document", "message"), [
    ({"criteria": {"tick_rate": {"threshold": "fast"}}}, "criteria.tick_rate.threshold must be a number"),
    ({"criteria": {"tick_rate": {"thresholds": {"p99": 1}}}},
     "criteria.tick_rate.thresholds.p99 is not a check of tick_rate (checks: rate)"),
    ({"criteria": {"tick_latency": {"threshold": 1}}}, "criteria.tick_latency.threshold is ambiguous"),
    ({"criteria": {"tick_rate": {"severity": "fatal"}}},
     "criteria.tick_rate.severity must be one of critical, warning, got 'fatal'"),
    ({"criteria": {"tick_rate": {"treshold": 1}}}, "criteria.tick_rate.treshold is not a known option"),
    ({"criteria": {"tick_rate": {"enabled": "no"}}}, "criteria.tick_rate.enabled must be true or false"),
    ({"criteria": {"mine": {"query": "up", "op": "~", "threshold": 1}}}, "criteria.mine.op must be one of"),
    ({"criteria": {"mine": {"query": "up", "op": ">"}}}, "criteria.mine.threshold is required"),
    ({"criteria": {"Bad-Id": {"query": "up", "op": ">", "threshold": 1}}}, "criteria.Bad-Id must be a built-in"),
    ({"min_coverage": 2}, "min_coverage must be > 0 and <= 1"),
    ({"processes": "harvest"}, "processes must be a list of process names"),
    ({"critera": {}}, "critera is not a known option"),
    ([1, 2], "(top level) must be a mapping"),
])
def test_invalid_files_name_the_field(document, message):
    with pytest.raises(ConfigError) as info:
        parse_settings(document)
    assert str(info.value).startswith("invalid config: ")
    assert message in str(info.value)


def test_unreadable_and_invalid_yaml(tmp_path: Path):
    with pytest.raises(ConfigError, match="--criteria must be a readable file"):
        load_settings(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("criteria: [unclosed\n")
    with pytest.raises(ConfigError, match="--criteria must be valid YAML"):
        load_settings(bad)


def test_only_and_skip():
    settings = default_settings()
    assert [c.id for c in select(settings, ["tick_rate, parse_gaps"], []).criteria] == ["tick_rate", "parse_gaps"]
    assert "tick_rate" not in [c.id for c in select(settings, [], ["tick_rate"]).criteria]
    with pytest.raises(ConfigError, match="--skip names an unknown criterion 'nope'"):
        select(settings, [], ["nope"])
    with pytest.raises(ConfigError, match="leave no criterion"):
        select(settings, ["tick_rate"], ["tick_rate"])
    disabled = parse_settings({"criteria": {"tick_rate": {"enabled": False}}})
    with pytest.raises(ConfigError, match="--only names 'tick_rate', which the criteria file disables"):
        select(disabled, ["tick_rate"], [])


def test_every_criterion_is_documented(repo_root: Path):
    doc = (repo_root / "docs" / "criteria.md").read_text()
    for criterion in REGISTRY.values():
        assert f"### `{criterion.id}`" in doc
        for check in criterion.checks:
            assert f"| `{check.name}` |" in doc, f"{criterion.id}.{check.name} missing from docs/criteria.md"
