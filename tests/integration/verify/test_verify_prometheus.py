"""verify-soak against a real Prometheus holding backfilled 60-minute histories: each criterion can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from verify_support import Soaks, start_prometheus

from soakwatch.cli import main as soakwatch_main
from soakwatch.stack import free_port
from soakwatch.testing.soak_history import BREAKABLE
from soakwatch.verify.cli import main
from soakwatch.verify.criteria import ORDER


def verdict_json(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, dict]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def results(document: dict) -> dict[str, str]:
    return {c["id"]: c["result"] for c in document["criteria"]}


def test_a_passing_run_passes_every_criterion(soaks: Soaks, capsys):
    code, document = verdict_json(capsys, soaks.args("pass"))
    assert results(document) == dict.fromkeys(ORDER, "pass")
    assert (code, document["verdict"]) == (0, "pass")


@pytest.mark.parametrize("broken", [b for b in BREAKABLE if b != "tick_latency"])
def test_each_broken_run_fails_exactly_its_criterion(soaks: Soaks, capsys, broken):
    code, document = verdict_json(capsys, soaks.args(broken))
    failing = {cid: status for cid, status in results(document).items() if status != "pass"}
    assert failing == {broken: "fail"}
    assert code == 1


def test_slow_ticks_only_warn_unless_strict(soaks: Soaks, capsys):
    code, document = verdict_json(capsys, soaks.args("tick_latency"))
    assert {k: v for k, v in results(document).items() if v != "pass"} == {"tick_latency": "warn"}
    assert code == 0
    code, document = verdict_json(capsys, soaks.args("tick_latency", "--strict"))
    assert (code, document["verdict"]) == (1, "fail")
    p99 = next(c for c in document["criteria"] if c["id"] == "tick_latency")["checks"][0]
    assert p99["name"] == "p99" and p99["value"] > 0.010


def test_per_process_failure_names_the_process(soaks: Soaks, capsys):
    _, document = verdict_json(capsys, soaks.args("memory_growth"))
    growth = next(c for c in document["criteria"] if c["id"] == "memory_growth")
    assert growth["failed_processes"] == ["broker"]
    assert growth["processes"] == {"harvest": "pass", "signal": "pass", "broker": "fail", "report": "pass"}
    assert "[3600s]" in growth["checks"][0]["query"]


def test_a_half_covered_window_is_no_data_and_fails(soaks: Soaks, capsys):
    code, document = verdict_json(capsys, soaks.args("half_covered"))
    got = results(document)
    assert got.pop("run_duration") == "fail"  # it judges the length the data covers: 30 of 60 minutes
    assert set(got.values()) == {"no data"}
    coverage = next(c for c in document["criteria"] if c["id"] == "tick_rate")["coverage"]["all"]
    assert 0.4 < coverage < 0.6
    assert code == 1


def test_an_expected_process_without_series_fails(soaks: Soaks, capsys, tmp_path: Path):
    criteria = tmp_path / "criteria.yml"
    criteria.write_text("processes: [harvest, signal, broker, report, risk]\n")
    code, document = verdict_json(capsys, soaks.args("pass", "--criteria", str(criteria), "--only", "resources"))
    resources = document["criteria"][0]
    assert resources["result"] == "no data"
    assert resources["failed_processes"] == ["risk"]
    assert code == 1


def test_empty_tsdb_is_no_data_everywhere(tmp_path: Path, capsys):
    with start_prometheus(tmp_path, tmp_path / "empty-tsdb") as server:
        code = main(["--prometheus-url", server.url, "--since", "60m", "--until", "1767229200", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert set(results(document).values()) == {"no data"}
    assert all(c["notes"][0] == "no series in the window" for c in document["criteria"])
    assert code == 1


def test_prometheus_unreachable_exits_2_naming_url_and_reason(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["--prometheus-url", url, "--since", "5m"]) == 2
    err = capsys.readouterr().err
    assert f"prometheus unreachable at {url}" in err
    assert "refused" in err.lower()


def test_thresholds_severity_and_custom_criteria_from_yaml(soaks: Soaks, capsys, tmp_path: Path):
    criteria = tmp_path / "criteria.yml"
    criteria.write_text(
        "criteria:\n"
        "  tick_rate: {threshold: 7000, severity: warning}\n"
        "  memory_growth: {enabled: false}\n"
        "  queue_depth:\n"
        "    description: harvester queue stays short\n"
        "    query: max(max_over_time(soak_harvester_queue_depth[$window]))\n"
        "    op: '<='\n"
        "    threshold: 10\n"
    )
    code, document = verdict_json(capsys, soaks.args("pass", "--criteria", str(criteria)))
    got = results(document)
    assert got["tick_rate"] == "warn" and got["queue_depth"] == "fail"
    assert "memory_growth" not in got
    custom = next(c for c in document["criteria"] if c["id"] == "queue_depth")
    assert custom["checks"][0]["value"] == 12 and custom["origin"] == "custom" and custom["source"] == "custom query"
    assert code == 1


def test_a_custom_query_prometheus_rejects_is_a_config_error(soaks: Soaks, capsys, tmp_path: Path):
    criteria = tmp_path / "criteria.yml"
    criteria.write_text("criteria:\n  broken: {query: 'rate(soak_nats_messages_total', op: '>', threshold: 0}\n")
    assert main(soaks.args("pass", "--criteria", str(criteria))) == 2
    err = capsys.readouterr().err
    assert "invalid config: criteria.broken.query was rejected" in err
    assert err.count("verify-soak:") == 1, err  # the prefix once, not once per layer


def test_only_and_skip_select_criteria(soaks: Soaks, capsys):
    _, document = verdict_json(capsys, soaks.args("tick_rate", "--only", "tick_rate,parse_gaps", "--skip",
                                                  "parse_gaps"))
    assert results(document) == {"tick_rate": "fail"}
    assert main(soaks.args("pass", "--only", "tick_rat")) == 2
    assert "--only names an unknown criterion 'tick_rat'" in capsys.readouterr().err


def test_text_output_ends_with_the_verdict(soaks: Soaks, capsys):
    assert main(soaks.args("resources")) == 1
    out = capsys.readouterr().out
    lines = out.rstrip("\n").splitlines()
    assert lines[-1] == "verdict: FAIL (13/14 criteria passed; failed: resources)"
    assert "\x1b[" not in out  # not a terminal: no colour
    row = next(line for line in lines if line.startswith("resources "))
    assert "FAIL" in row and "report (fail)" in row


def test_soakwatch_verify_subcommand(soaks: Soaks, capsys):
    assert soakwatch_main(["verify", *soaks.args("pass"), "--only", "tick_rate"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("verdict: PASS (1/1 criteria passed)")


def test_window_of_24_hours_is_accepted(soaks: Soaks, capsys):
    code, document = verdict_json(capsys, ["--prometheus-url", soaks.url, "--since", "1d", "--until",
                                           soaks.until("pass")])
    assert document["window"]["seconds"] == 86400
    got = results(document)
    assert got.pop("run_duration") == "pass"  # the run inside the day lasted its planned 60 minutes
    assert set(got.values()) == {"no data"}  # 65 minutes of data cannot cover a day
    assert code == 1
