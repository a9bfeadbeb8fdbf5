"""The written config (accepted by the exporter as it is) and the coverage table, from fake discoveries."""

from __future__ import annotations

from pathlib import Path

import yaml

from soakwatch.exporters.soak.config import load_config
from soakwatch.init import coverage, writer
from soakwatch.init.files import JsonlFile, Manifest, SqliteTable
from soakwatch.init.grouping import group
from soakwatch.init.httpfind import HttpHealth
from soakwatch.init.procs import Proc
from soakwatch.init.proposal import Proposal
from soakwatch.init.scope import ScopeProposal
from soakwatch.init.shapes import TimeField, recognise
from soakwatch.init.subjects import Stream
from soakwatch.verify.criteria import ORDER

GROUPS = group([Proc(i, 9, "python3", ("python3", "-m", "acme", role), float(i))
                for i, role in enumerate(("acme-ingest", "acme-scorer"), 1)])
TICKS = Stream("tick", "acme.px.>", ["acme.px.A", "acme.px.B"], 200.0, time=TimeField("t_ms", "ms", "name"), seq="n",
               keys=["sym", "t_ms", "n"])
STATS = Stream("harvester", "acme.ingest.stats", ["acme.ingest.stats"], 0.5,
               shape=recognise([{"dropped": 0, "timeouts": 0, "reconnects": 0, "backlog": 1}]))
SCORES = Stream("signals", "acme.score.>", ["acme.score.A"], 10.0,
                shape=recognise([{"confirmed": True, "is_strong": False, "quality": "good", "gate": None}]))
HTTP = [HttpHealth(g.name, f"http://127.0.0.1:{9000 + i}/health", recognise([{"state": "ok"}]), {"state": "ok"})
        for i, g in enumerate(GROUPS)]


def _proposal(tmp_path: Path, **changes: object) -> Proposal:
    base = dict(nats_url="nats://127.0.0.1:4222", groups=GROUPS, streams=[TICKS, STATS, SCORES], http=HTTP,
                jsonl=JsonlFile(tmp_path / "out" / "scores.jsonl", [{"ts": 1.0, "confirm": True, "strong": False}]),
                manifest=Manifest(tmp_path / "m" / "run_manifest_r1.json", str(tmp_path / "m" / "run_manifest*.json"),
                                  ("status",)),
                scope=ScopeProposal(env=("ACME_RUN_ID", "r1"), parent_pidfile=tmp_path / "acme.pid"))
    base.update(changes)
    return Proposal(**base)  # type: ignore[arg-type]


def _write(tmp_path: Path, proposal: Proposal) -> Path:
    out = tmp_path / "soak.yaml"
    out.write_text(writer.render(proposal, str(out)))
    return out


def test_the_exporter_accepts_the_written_config_unchanged(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, _proposal(tmp_path)), environ={})
    assert set(config.processes.match) == {"acme-ingest", "acme-scorer"}  # type: ignore[union-attr]
    assert config.processes.scope.env == ("ACME_RUN_ID", "r1")  # type: ignore[union-attr]
    assert config.probe.argv() == ["--subject", "acme.px.>", "--ts-field", "t_ms", "--ts-unit", "ms",  # type: ignore[union-attr]
                                   "--seq-field", "n"]
    assert config.health.source == "http" and config.health.mapping.apply({"state": "down"})["status"] == (  # type: ignore[union-attr]
        "unhealthy")
    assert [h.url for h in config.health.http] == [h.url for h in HTTP]  # type: ignore[union-attr]
    assert config.harvester.mapping.apply({"dropped": 2})["queue_dropped"] == 2  # type: ignore[union-attr]
    assert config.signals.subject == "acme.score.>"  # type: ignore[union-attr]
    assert config.signals.mapping.apply({"quality": "bad"})["consistency"] == "low"  # type: ignore[union-attr]
    assert config.sinks.jsonl == tmp_path / "out" / "scores.jsonl" and config.sinks.sqlite is None  # type: ignore[union-attr]
    assert config.exports is None


def test_the_config_is_commented(tmp_path: Path) -> None:
    text = _write(tmp_path, _proposal(tmp_path)).read_text()
    assert text.startswith("# Soak exporter config proposed by `soakwatch init`")
    assert "# exports: no export events heard on NATS" in text
    assert "200.0 msgs/s" in text


def test_fallback_sources_are_written_and_accepted(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "run_manifest_1.json", str(tmp_path / "run_manifest*.json"),
                        ("status", "harvester_metrics"))
    proposal = _proposal(tmp_path, streams=[TICKS], http=[], manifest=manifest, scope=ScopeProposal())
    config = load_config(_write(tmp_path, proposal), environ={})
    assert config.health.source == "liveness"  # type: ignore[union-attr]
    assert config.signals.source == "jsonl" and config.harvester.source == "manifest"  # type: ignore[union-attr]
    rows = {r.criterion: r for r in coverage.rows(proposal)}
    assert rows["health_green"].source == "liveness only (process up, no heartbeats)"
    assert "heartbeat_forever" in "\n".join(rows["health_green"].lines)
    assert rows["harvester_slo"].source.startswith("run manifest")  # type: ignore[union-attr]


def test_coverage_names_exactly_the_criteria_without_data(tmp_path: Path) -> None:
    rows = coverage.rows(_proposal(tmp_path))
    assert [r.criterion for r in rows] == list(ORDER)
    assert [r.criterion for r in rows if not r.has_data] == ["export_rate", "sink_parity"]
    text = coverage.render(rows)
    assert "2 of 14 criteria without data:" in text
    assert 'await inst.export_event("prometheus", ok=True)' in text


def test_coverage_with_both_sinks_and_no_ticks(tmp_path: Path) -> None:
    sqlite = SqliteTable(tmp_path / "s.sqlite", "signals", ("id", "ts", "confirm", "strong"), 3)
    rows = {r.criterion: r for r in coverage.rows(_proposal(tmp_path, sqlite=sqlite, streams=[STATS, SCORES]))}
    assert rows["sink_parity"].has_data
    missing = sorted(c for c, r in rows.items() if not r.has_data)
    assert missing == ["connectivity", "export_rate", "parse_gaps", "run_duration", "tick_latency", "tick_rate"]


def test_ticks_without_an_event_time_lose_latency_and_parse_gaps(tmp_path: Path) -> None:
    bare = Stream("tick", "px.>", ["px.A"], 50.0)
    rows = {r.criterion: r for r in coverage.rows(_proposal(tmp_path, streams=[bare]))}
    assert not rows["tick_latency"].has_data and not rows["parse_gaps"].has_data and rows["tick_rate"].has_data
    assert "Soak-Ts" in rows["tick_latency"].step


def test_yaml_quoting_keeps_regexes(tmp_path: Path) -> None:
    data = yaml.safe_load(_write(tmp_path, _proposal(tmp_path)).read_text())
    assert data["processes"]["match"]["acme-ingest"]["cmdline"] == GROUPS[0].cmdline
