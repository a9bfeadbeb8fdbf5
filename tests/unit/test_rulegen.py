"""The rule files and docs tables are rendered from the one thresholds file, and every alert is complete."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from soakwatch import rulegen
from soakwatch.errors import ConfigError

SOAK_ALERTS = {"SoakSignalsStalled", "SoakLowConsistencyHigh", "SoakStrongRatioCollapse"}
SLO_ALERTS = {
    "SoakTickRateLow", "SoakTickParseGapsHigh", "SoakTickLatencyHigh", "SoakProbeDroppingMessages",
    "SoakProcessDown", "SoakProcessUnhealthy", "SoakProcessRestarted", "SoakHarvesterQueueDropped",
    "SoakHarvesterReconnectsHigh", "SoakHarvesterSubstreamTimeout", "SoakProcessMemoryHigh", "SoakProcessFdsHigh",
    "SoakTimeseriesExportErrors", "SoakTimeseriesExportStale", "SoakSinkParityDrift", "SoakExporterDown",
}


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def alerts() -> list[dict]:
    texts = [p.read_text() for p in sorted((ROOT / rulegen.RULES_DIR).glob("*.yml"))]
    return rulegen.alert_rules(texts)


def _copy_sources(root: Path, tmp_path: Path) -> Path:
    for part in ("prometheus/thresholds.yml", "prometheus/rules.in", "docs/alerts.md"):
        target = tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (root / part).is_dir() else shutil.copy)(root / part, target)
    return tmp_path


def test_checked_in_rules_and_docs_match_the_thresholds(repo_root):
    rendered = rulegen.render_all(repo_root)
    assert rulegen.stale_files(repo_root, rendered) == []
    assert rulegen.main(["--root", str(repo_root), "--check"]) == 0


def test_check_reports_drift_after_a_threshold_changes(repo_root, tmp_path, capsys):
    root = _copy_sources(repo_root, tmp_path)
    assert rulegen.main(["--root", str(root)]) == 0
    thresholds = root / "prometheus/thresholds.yml"
    thresholds.write_text(thresholds.read_text().replace("value: 5000", "value: 4000"))
    assert rulegen.main(["--root", str(root), "--check"]) == 1
    err = capsys.readouterr().err
    assert "prometheus/rules/soak-slo.yml is out of date" in err
    assert "docs/alerts.md is out of date" in err
    assert rulegen.main(["--root", str(root)]) == 0
    assert "job:soak_nats_messages:rate1m < 4000" in (root / "prometheus/rules/soak-slo.yml").read_text()


def test_unknown_placeholder_names_the_file(repo_root, tmp_path):
    root = _copy_sources(repo_root, tmp_path)
    source = root / "prometheus/rules.in/soak-slo.yml"
    source.write_text(source.read_text().replace("<<tick_rate_min>>", "<<tick_rate_minimum>>", 1))
    with pytest.raises(ConfigError, match=r"soak-slo.yml: <<tick_rate_minimum>> is not defined in thresholds.yml"):
        rulegen.render_all(root)


def test_unused_threshold_is_an_error(repo_root, tmp_path):
    root = _copy_sources(repo_root, tmp_path)
    thresholds = root / "prometheus/thresholds.yml"
    extra = "  spare_limit:\n    value: 1\n    unit: x\n    alerts: [SoakTickRateLow]\n    criterion: '-'\n    doc: d\n"
    thresholds.write_text(thresholds.read_text() + extra)
    with pytest.raises(ConfigError, match=r"thresholds.spare_limit is not used"):
        rulegen.render_all(root)


BASE_URL = "http://127.0.0.1:9096/runbooks/"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"value": "ten", "unit": "u", "alerts": ["A"], "criterion": "-", "doc": "d"}, "a number or a duration"),
        ({"value": True, "unit": "u", "alerts": ["A"], "criterion": "-", "doc": "d"}, "a number or a duration"),
        ({"value": 1, "unit": "u", "alerts": [], "criterion": "-", "doc": "d"}, "non-empty list of alert names"),
        ({"value": 1, "unit": "u"}, "exactly the keys value, unit, alerts, criterion, doc"),
    ],
)
def test_bad_threshold_entries_are_rejected(tmp_path, entry, message):
    path = tmp_path / "thresholds.yml"
    path.write_text(yaml.safe_dump({"runbook_url_base": BASE_URL, "thresholds": {"limit": entry}}))
    with pytest.raises(ConfigError, match=rf"invalid config: thresholds.limit.* {message}"):
        rulegen.load_config(path)


@pytest.mark.parametrize("base", ["docs/runbooks/", BASE_URL[:-1], "ftp://docs.example/runbooks/"])
def test_runbook_base_must_be_an_absolute_http_url_ending_in_a_slash(tmp_path, base):
    path = tmp_path / "thresholds.yml"
    path.write_text(yaml.safe_dump({"runbook_url_base": base, "thresholds": {}}))
    with pytest.raises(ConfigError, match="runbook_url_base must be an absolute http"):
        rulegen.load_config(path)


def test_every_design_alert_exists_once(alerts):
    names = [rule["alert"] for rule in alerts]
    assert len(names) == len(set(names))
    assert set(names) >= SOAK_ALERTS | SLO_ALERTS


def test_every_alert_has_severity_summary_description_and_runbook(alerts, repo_root):
    for rule in alerts:
        name, annotations = rule["alert"], rule["annotations"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert annotations["summary"].endswith("."), name
        assert "$value" in annotations["description"], name
        assert annotations["runbook_url"] == f"{BASE_URL}{name}.md", name  # alert-log serves docs/runbooks there
        runbook = (repo_root / "docs/runbooks" / f"{name}.md").read_text()
        assert runbook.startswith(f"# {name}\n"), name
        for section in ("## What it means", "## Across restarts", "## How to confirm", "## What to do"):
            assert section in runbook, f"{name}: {section}"


def test_soak_alert_severities_follow_the_design(alerts):
    severity = {rule["alert"]: rule["labels"]["severity"] for rule in alerts}
    assert severity["SoakSignalsStalled"] == "critical"
    assert severity["SoakLowConsistencyHigh"] == "warning"
    assert severity["SoakStrongRatioCollapse"] == "warning"


def test_rules_select_by_metric_and_process_not_by_job(repo_root):
    for path in (repo_root / rulegen.RULES_DIR).glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                selects_job = re.search(r"\{[^}]*\bjob\s*(=|!=|=~|!~)", rule["expr"])
                if rule.get("alert") == "SoakExporterDown":
                    assert rule["expr"].startswith("up{job=~"), rule["expr"]
                else:
                    assert not selects_job, f"{rule.get('alert') or rule.get('record')}: {rule['expr']}"


def test_recording_rules_follow_level_metric_operations(repo_root):
    for path in (repo_root / rulegen.RULES_DIR).glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    assert re.fullmatch(r"[a-z_]+:soak_[a-z0-9_]+:[a-z0-9_]+", rule["record"]), rule["record"]


def test_docs_tables_list_every_alert_and_threshold(repo_root, alerts):
    docs = (repo_root / rulegen.DOCS_FILE).read_text()
    config = rulegen.load_config(repo_root / rulegen.THRESHOLDS_FILE)
    for rule in alerts:
        assert f"| `{rule['alert']}` | {rule['labels']['severity']} |" in docs
    for name, threshold in config.thresholds.items():
        assert f"| `{name}` | {threshold.value} |" in docs
        assert set(threshold.alerts) <= {rule["alert"] for rule in alerts}, name


def test_runbooks_exist_only_for_alerts(repo_root, alerts):
    pages = {p.stem for p in (repo_root / "docs/runbooks").glob("*.md")}
    assert pages == {rule["alert"] for rule in alerts}


def test_docs_say_how_every_alert_behaves_across_restarts_and_absence(repo_root, alerts):
    docs = (repo_root / rulegen.DOCS_FILE).read_text()
    section = docs.split("## Across exporter restarts and missing series", 1)[1].split("\n## ", 1)[0]
    table = section.split("| alert | its series absent |", 1)[1]
    head = section.split("| alert | its series absent |", 1)[0]
    for rule in alerts:
        assert f"`{rule['alert']}`" in head, f"{rule['alert']}: restart behaviour not in docs/alerts.md"
        assert f"`{rule['alert']}`" in table, f"{rule['alert']}: absent-series behaviour not in docs/alerts.md"
