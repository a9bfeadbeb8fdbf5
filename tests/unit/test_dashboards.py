"""The checked-in Grafana dashboards are exactly what the code builds, each panel is complete, refers to the
datasource variable, and draws the thresholds of prometheus/thresholds.yml and verify-soak's criteria."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
import yaml

from soakwatch.dashboards import DASHBOARDS, dashboard_json, panels, render_all
from soakwatch.dashboards import thresholds as thresholds_module
from soakwatch.dashboards.cli import main
from soakwatch.dashboards.panels import PROCESS, RUN_FILTERS, SERIES_FILTERS, Filter
from soakwatch.dashboards.queries import dashboard_queries, shows_pushed_results, substitute, variable_values
from soakwatch.errors import ConfigError
from soakwatch.verify.criteria import REGISTRY

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO / "grafana" / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}


@functools.cache
def _built() -> dict[str, str]:
    return render_all()


def _models() -> dict[str, dict]:
    """Fresh dicts of the dashboards built once from the checkout."""
    return {name.removesuffix(".json"): json.loads(text) for name, text in _built().items()}


def _panels(model: dict) -> dict[str, dict]:
    return {p["title"]: p for p in model["panels"] if p["type"] != "row"}


def _steps(panel: dict) -> list[tuple[float | None, str]]:
    return [(s["value"], s["color"]) for s in panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])]


def test_checked_in_json_matches_a_fresh_build():
    built = render_all()
    assert sorted(p.name for p in DASHBOARD_DIR.glob("*.json")) == sorted(built)
    for name, text in built.items():
        assert (DASHBOARD_DIR / name).read_text() == text, f"{name} drifted: run `soakwatch dashboards --write`"


def test_build_is_deterministic():
    assert render_all() == render_all()


def test_check_fails_on_drift_and_write_repairs_it(tmp_path, capsys):
    assert main(["--write", "--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "soak-run.json").write_text("{}\n")
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert "soak-run.json is out of date" in capsys.readouterr().err


def test_every_panel_has_title_description_unit_and_query():
    for model in _models().values():
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
        for panel in _panels(model).values():
            assert panel["description"], panel["title"]
            assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]


# --- the datasource variable ---------------------------------------------------------------------------------------

def _provisioned_datasource() -> dict:
    provisioning = yaml.safe_load((REPO / "grafana/provisioning/datasources/prometheus.yml").read_text())
    prometheus = [d for d in provisioning["datasources"] if d["type"] == "prometheus"]
    assert len(prometheus) == 1 and prometheus[0]["isDefault"] is True
    return prometheus[0]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_everything_uses_the_datasource_variable_defaulting_to_the_provisioned_one(name):
    model, provisioned = _models()[name], _provisioned_datasource()
    variable, *others = model["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == ("datasource", "datasource", "prometheus")
    assert variable["current"] == {"selected": True, "text": provisioned["name"], "value": provisioned["uid"]}
    assert not variable["multi"] and not variable["includeAll"]
    for panel in _panels(model).values():
        assert panel["datasource"] == DS, panel["title"]
        assert all(target["datasource"] == DS for target in panel["targets"]), panel["title"]
    assert all(v["datasource"] == DS for v in others if v["type"] == "query")
    assert all(a["datasource"] == DS for a in model.get("annotations", {}).get("list", []))
    # nowhere else is a datasource named: only the variable's default carries the provisioned uid
    text = json.dumps(model)
    assert text.count(f'"uid": "{provisioned["uid"]}"') == 0
    assert len(re.findall(r'"datasource": \{', text)) == text.count('"uid": "${datasource}"')


def _assert_every_soak_series_filtered(model: dict, filters: tuple) -> None:
    for query in (q for q in dashboard_queries(model) if q.where.startswith("panel ")):
        # a soak_ metric outside a quoted label value, with its matchers
        for match in re.finditer(r'"[^"]*"|\bsoak_[a-z0-9_]+(\{[^}]*\})?', query.expr):
            if match.group(0).startswith('"'):
                continue
            for series_filter in filters:
                assert series_filter.matcher in (match.group(1) or ""), f"{query.where}: {query.expr}"


def test_every_soak_series_carries_every_run_filter():
    model = _models()["soak-run"]
    assert [v["name"] for v in model["templating"]["list"]] == ["datasource", "pipeline", "run", "job", "process"]
    _assert_every_soak_series_filtered(model, SERIES_FILTERS)
    process = model["templating"]["list"][-1]
    assert process["query"] == ('label_values(soak_process_up{pipeline=~"$pipeline", run_id="$run", job=~"$job"}, '
                                'process)')


def test_pipeline_and_run_variables_choose_one_run_newest_first():
    variables = {v["name"]: v for v in _models()["soak-run"]["templating"]["list"]}
    pipeline, run = variables["pipeline"], variables["run"]
    assert pipeline["query"] == 'label_values(up{job=~"soak_.*"}, pipeline)'
    assert pipeline["multi"] and pipeline["includeAll"] and pipeline["current"]["value"] == "$__all"
    # chained: only the runs of the chosen pipelines; one run at a time, the first offered (the newest) by default
    assert run["query"] == 'label_values(up{job=~"soak_.*", pipeline=~"$pipeline"}, run_id)'
    assert not run["multi"] and not run["includeAll"] and not run.get("current")
    assert run["sort"] == 2  # alphabetical, descending: run ids start with their UTC start time
    assert "run" not in variable_values(_models()["soak-run"])  # Grafana takes the first value Prometheus offers


def test_alerts_up_and_pushed_series_are_filtered_by_the_run_too():
    model = _models()["soak-run"]
    run_matchers = [f.matcher for f in RUN_FILTERS]
    assert run_matchers == ['pipeline=~"$pipeline"', 'run_id="$run"']
    for annotation in model["annotations"]["list"]:
        assert all(m in annotation["expr"] for m in run_matchers), annotation["name"]
        assert "pipeline" in annotation["tagKeys"] and "run_id" in annotation["tagKeys"]
    exprs = [t["expr"] for p in _panels(model).values() for t in p["targets"]]
    for metric in ("ALERTS{", "up{", "push_time_seconds{"):
        found = [e for e in exprs if metric in e]
        assert found and all(all(m in e for m in run_matchers) for e in found), metric


def test_a_new_run_filter_is_one_entry_in_series_filters(monkeypatch):
    extra = Filter("region", "Region", "up", ('job=~"soak_.*"',))
    monkeypatch.setattr(panels, "SERIES_FILTERS", (*SERIES_FILTERS, extra))
    model = json.loads(dashboard_json(DASHBOARDS["soak-run"]))
    variables = {v["name"]: v.get("query") for v in model["templating"]["list"]}
    assert list(variables) == ["datasource", "pipeline", "run", "job", "region", "process"]
    assert variables["region"] == ('label_values(up{job=~"soak_.*", pipeline=~"$pipeline", run_id="$run", '
                                   'job=~"$job"}, region)')
    _assert_every_soak_series_filtered(model, (*SERIES_FILTERS, extra))
    assert variable_values(model)["region"] == ".*"


# --- thresholds: prometheus/thresholds.yml and the criteria --------------------------------------------------------

def _yml() -> dict[str, float]:
    """thresholds.yml's numbers, read here without the dashboards' loader."""
    entries = yaml.safe_load((REPO / "prometheus/thresholds.yml").read_text())["thresholds"]
    return {name: float(e["value"]) for name, e in entries.items() if e["unit"] != "duration"}


def _criterion(criterion_id: str, check: str) -> float:
    return REGISTRY[criterion_id].check(check).threshold


def _below(limit: float) -> list:
    return [(None, "red"), (limit, "green")]


def _above(limit: float, color: str = "red") -> list:
    return [(None, "green"), (limit, color)]


def _more_than(allowed: float, color: str = "red") -> list:
    return _above(allowed + 1, color)  # whole counts: "> allowed" is ">= allowed + 1", as Grafana colours


def _expected_steps() -> dict[str, list]:
    t = _yml()
    return {
        "Critical alerts firing": _more_than(_criterion("no_critical_alerts", "firing")),
        "Warning alerts firing": _more_than(0, "orange"),
        "Tick rate": _below(t["tick_rate_min"]),
        "Tick latency p50 / p90 / p99": _above(t["tick_latency_p99_max"]),
        "Parse-gap ratio": _above(t["parse_gap_ratio_max"]),
        "Probe drops and reconnects": _more_than(t["probe_dropped_messages_max"]),
        "Probe connected": _below(1),
        "Health green %": _below(_criterion("health_green", "healthy_ratio")),
        "Process up": _below(1),
        "Restarts and downtime": _above(_criterion("restart_recovery", "downtime")),
        "Resident memory": _above(t["process_rss_max_bytes"]),
        "Memory growth": _above(_criterion("memory_growth", "growth")),
        "Open file descriptors": _above(t["process_open_fds_max"]),
        "Harvester queue dropped": _more_than(t["harvester_queue_dropped_max"]),
        "Harvester substream timeouts": _more_than(t["harvester_substream_timeouts_max"]),
        "Harvester reconnects": _more_than(t["harvester_reconnects_max"]),
        "Low-consistency share": _above(t["low_consistency_share_max"]),
        "Signals total": _below(1),
        "Sink parity": _above(t["sink_parity_diff_max"]),
        "Export errors": _more_than(t["export_errors_max"]),
        "Seconds since the last export": _above(t["export_stale_after_seconds"]),
        "Exporters up": _below(1),
        "Criteria failed (live)": _more_than(0),
        "Criteria at risk (live)": _more_than(0, "orange"),
        "Budget left (live)": _below(0),
        "Live state per criterion": [(None, "blue")],  # no pass bar: the states are the figure
    }


def test_every_panel_threshold_is_the_alerts_or_the_criterions():
    panels, expected = _panels(_models()["soak-run"]), _expected_steps()
    drawn = {title: _steps(panel) for title, panel in panels.items() if _steps(panel)}
    assert sorted(drawn) == sorted(expected), "a panel draws a threshold this test does not know"
    for title, steps in drawn.items():
        assert steps == expected[title], title
    strong = {t["refId"]: t["expr"] for t in panels["Strong ratio"]["targets"]}
    assert strong["C"] == f"{strong['B']} * {_yml()['strong_ratio_collapse_factor']:g}"


def test_bench_panels_draw_no_pass_bar():
    for panel in _panels(_models()["nats-bench"]).values():
        assert _steps(panel) in ([], [(None, "blue")]), panel["title"]


def _rules() -> dict[str, str]:
    """Recording rule and alert name -> expression, from the generated prometheus/rules/."""
    rules = {}
    for path in sorted((REPO / "prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules |= {rule.get("record") or rule["alert"]: rule["expr"] for rule in group["rules"]}
    return rules


def _windows(expr: str) -> set[str]:
    return set(re.findall(r"\[(\d+[smhd])\]", expr))


# panel, target -> the recording rules whose windows the alert judges (alerts read these rules)
ALERT_WINDOWS = {
    ("Tick rate", "A"): ("job:soak_nats_messages:rate1m",),
    ("Tick latency p50 / p90 / p99", "C"): ("job_le:soak_nats_latency_seconds_bucket:rate5m",),
    ("Parse-gap ratio", "A"): ("job:soak_nats_parse_errors:ratio_rate5m", "job:soak_nats_messages:rate5m"),
    ("Low-consistency share", "A"): ("job:soak_signals_low_consistency:increase1m", "job:soak_signals:increase1m"),
    ("Strong ratio", "A"): ("job:soak_signals_strong:ratio_rate5m", "job:soak_signals:increase5m"),
    ("Strong ratio", "B"): ("job:soak_signals_strong:ratio_rate1h", "job:soak_signals:increase1h"),
}


def test_panel_windows_are_the_alerts_recording_rules_windows():
    panels, rules = _panels(_models()["soak-run"]), _rules()
    for (title, ref), names in ALERT_WINDOWS.items():
        expr = next(t["expr"] for t in panels[title]["targets"] if t["refId"] == ref)
        wanted = set().union(*(_windows(rules[name]) for name in names))
        assert wanted and _windows(expr) == wanted, (title, ref, expr, wanted)


def _unfiltered(expr: str) -> str:
    """``expr`` without the dashboard filters (``name=~"$name"``) and with Grafana's range as ``$window``."""
    filters = {f.matcher for f in (*SERIES_FILTERS, PROCESS)}

    def strip(match: re.Match[str]) -> str:
        kept = [m for m in match.group(1).split(", ") if m not in filters]
        return "{" + ", ".join(kept) + "}" if kept else ""

    return re.sub(r"\{([^}]*)\}", strip, expr).replace("$__range", "$window")


def test_process_panels_compute_what_the_criteria_compute():
    panels = _panels(_models()["soak-run"])
    growth = panels["Memory growth"]["targets"][0]["expr"]
    # the criterion's check (a least-squares slope per hour), over a rolling 15m instead of the whole window
    assert _unfiltered(growth) == REGISTRY["memory_growth"].check("growth").query.replace("$window", "15m")
    assert _windows(growth) == {"15m"}
    health = panels["Health green %"]["targets"][0]["expr"]
    # the criterion counts raw samples exactly; the panel shows the same ratio of healthy to all checks
    healthy = 'sum by (process) (increase(soak_health_checks_total{status="healthy"}[$window]))'
    checks = "sum by (process) (increase(soak_health_checks_total[$window]))"
    assert _unfiltered(health) == f"({healthy} or 0 * {checks}) / {checks}"


def test_thresholds_are_read_at_build_time_and_durations_converted(tmp_path):
    document = yaml.safe_load((REPO / "prometheus/thresholds.yml").read_text())
    document["thresholds"]["tick_rate_min"]["value"] = 1234
    document["thresholds"]["export_stale_after_seconds"].update(value="2m", unit="duration")
    changed = tmp_path / "thresholds.yml"
    changed.write_text(yaml.safe_dump(document))
    from soakwatch.dashboards.build import DASHBOARDS as builders

    panels = _panels(json.loads(dashboard_json(builders["soak-run"], thresholds_module.load(changed))))
    assert _steps(panels["Tick rate"]) == _below(1234)
    assert _steps(panels["Seconds since the last export"]) == _above(120)
    assert "above 120 s" in panels["Seconds since the last export"]["description"]


def test_a_missing_or_bad_threshold_is_named(tmp_path, monkeypatch, capsys):
    document = yaml.safe_load((REPO / "prometheus/thresholds.yml").read_text())
    del document["thresholds"]["process_open_fds_max"]
    changed = tmp_path / "thresholds.yml"
    changed.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match=r"thresholds\.process_open_fds_max is needed by a dashboard panel"):
        render_all(thresholds_module.load(changed))
    monkeypatch.setattr(thresholds_module, "THRESHOLDS_FILE", tmp_path / "absent.yml")
    assert main(["--check", "--dir", str(tmp_path)]) == 2
    assert f"invalid config: {tmp_path / 'absent.yml'} must be a readable thresholds file" in capsys.readouterr().err
    document = yaml.safe_load((REPO / "prometheus/thresholds.yml").read_text())
    document["thresholds"]["tick_rate_min"]["value"] = "5m"
    changed.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError, match=r"thresholds\.tick_rate_min\.value must be a number \(unit msgs/s\)"):
        thresholds_module.load(changed).value("tick_rate_min")


# --- the alerts panels ---------------------------------------------------------------------------------------------

def test_alert_panels_count_every_critical_soak_alert_and_warnings_apart():
    panels = _panels(_models()["soak-run"])
    critical = panels["Critical alerts firing"]["targets"][0]["expr"]
    selector = re.search(r"ALERTS\{([^}]*)\}", REGISTRY["no_critical_alerts"].check("firing").query)
    shown = re.fullmatch(r"count\(ALERTS\{([^}]*)\}\) or vector\(0\)", critical)
    assert selector and shown
    # the criterion's matchers, and the run's (the criterion gets the run from verify-soak's selector)
    run_matchers = {f.matcher for f in RUN_FILTERS}
    matchers = {m.strip() for m in shown.group(1).split(",")}
    assert matchers - run_matchers == {m.strip() for m in selector.group(1).split(",")} - run_matchers
    assert run_matchers <= matchers
    warning = panels["Warning alerts firing"]["targets"][0]["expr"]
    assert warning == critical.replace('severity="critical"', 'severity="warning"')
    assert "SoakSignalsStalled" not in critical  # not a list of names: every critical Soak* alert counts


def test_run_total_stats_show_the_largest_total_in_the_range():
    # an exporter restart starts the totals again at 0: the last value would hide drops seen before it
    panels = _panels(_models()["soak-run"])
    for title in ("Harvester queue dropped", "Harvester substream timeouts", "Harvester reconnects", "Export errors"):
        assert panels[title]["options"]["reduceOptions"]["calcs"] == ["max"], title
    assert panels["Probe connected"]["options"]["reduceOptions"]["calcs"] == ["min"]


def test_soak_run_rows():
    model = _models()["soak-run"]
    rows = [p["title"] for p in model["panels"] if p["type"] == "row"]
    assert rows == ["Soak alerts", "Live verdict", "Tick stream", "Processes", "Harvester SLOs", "Signals",
                    "Sinks and exports"]
    assert all(a["expr"].startswith("ALERTS{") for a in model["annotations"]["list"])


# --- the bench dashboard and the query helpers ---------------------------------------------------------------------

def test_the_live_verdict_row_reads_the_pushed_states():
    panels = _panels(_models()["soak-run"])
    failed = panels["Criteria failed (live)"]["targets"][0]["expr"]
    assert failed.startswith("count(soak_verdict_state{") and 'state="failed"' in failed and "== 1" in failed
    assert 'state="at_risk"' in panels["Criteria at risk (live)"]["targets"][0]["expr"]
    assert "soak_verdict_budget_remaining_ratio{" in panels["Budget left (live)"]["targets"][0]["expr"]
    # without a watch pushing, the per-criterion panels say so instead of failing the data check of the row
    optional = {q.where for q in dashboard_queries(_models()["soak-run"]) if not q.needs_data}
    assert {"panel 'Live state per criterion' A", "panel 'Budget left (live)' A"} <= optional
    assert not {q for q in optional if "Tick rate" in q}


def test_bench_dashboard_selects_the_pushed_job_by_mode_and_statistic():
    model = _models()["nats-bench"]
    assert [v["name"] for v in model["templating"]["list"]] == ["datasource", "mode", "stat"]
    assert variable_values(model) | {"datasource": ""} == {
        "__rate_interval": "1m", "__range": "1m", "datasource": "", "mode": ".*", "stat": "median"}
    for panel in _panels(model).values():
        for target in panel["targets"]:
            assert 'job="soak_bench"' in target["expr"] and 'mode=~"$mode"' in target["expr"], panel["title"]
    assert shows_pushed_results(model) and not shows_pushed_results(_models()["soak-run"])
    assert not any(q.needs_data for q in dashboard_queries(model)[:-1])
    assert all(q.needs_data for q in dashboard_queries(model, require_data=True))
    assert 'NATS bench' in (REPO / "docs" / "bench.md").read_text()


def test_substitute_fills_grafana_variables_and_rejects_unknown_ones():
    values = {"job": ".*", "__rate_interval": "1m"}
    assert substitute('rate(x{job=~"$job"}[$__rate_interval])', values) == 'rate(x{job=~".*"}[1m])'
    assert substitute('x{job=~"${job}"}', values) == 'x{job=~".*"}'
    with pytest.raises(ValueError, match=r"unknown dashboard variable \$jobs"):
        substitute('x{job=~"$jobs"}', values)
