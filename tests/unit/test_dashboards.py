"""The checked-in Grafana dashboards are exactly what the code builds, and each panel is complete."""

from __future__ import annotations

import json
from pathlib import Path

from soakwatch.dashboards import DASHBOARDS, render_all
from soakwatch.dashboards.cli import main

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"


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
    for name in DASHBOARDS:
        model = json.loads(render_all()[f"{name}.json"])
        panels = [p for p in model["panels"] if p["type"] != "row"]
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
        for panel in panels:
            assert panel["title"] and panel["description"], panel["id"]
            assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]


def test_soak_run_covers_every_concern_and_draws_the_pass_lines():
    model = json.loads(render_all()["soak-run.json"])
    rows = [p["title"] for p in model["panels"] if p["type"] == "row"]
    assert rows == ["Tick stream", "Processes", "Harvester SLOs", "Signals and soak alerts", "Sinks and exports"]
    by_title = {p["title"]: p for p in model["panels"]}
    steps = by_title["Tick rate"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "red", "value": None}, {"color": "green", "value": 5000.0}]
    assert by_title["Tick rate"]["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "dashed"}
    assert by_title["Resident memory"]["fieldConfig"]["defaults"]["unit"] == "bytes"
    assert [v["name"] for v in model["templating"]["list"]] == ["job", "process"]
    assert all(a["expr"].startswith("ALERTS{") for a in model["annotations"]["list"])
    exprs = " ".join(t["expr"] for p in model["panels"] for t in p.get("targets", []))
    for alert in ("SoakSignalsStalled", "SoakLowConsistencyHigh", "SoakStrongRatioCollapse"):
        assert alert in exprs
