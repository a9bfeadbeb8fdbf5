"""`soakwatch quickstart` wiring without servers: the thin bash script, the verify window, up --scrape-interval."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from soakwatch import runid
from soakwatch.demo import manifest, quickstart
from soakwatch.errors import ConfigError
from soakwatch.stack import cli as stack_cli
from soakwatch.stack import render

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_quickstart_script_is_setup_then_soakwatch_quickstart_with_down_on_exit():
    script = REPO_ROOT / "scripts" / "quickstart.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    commands = [line for line in script.read_text().splitlines() if line and not line.startswith("#")]
    assert "bash scripts/setup.sh" in commands
    assert any(line.startswith("trap ") and "soakwatch down" in line and "EXIT" in line for line in commands)
    assert commands[-1].startswith(".venv/bin/soakwatch quickstart ")


def test_verify_window_covers_the_whole_run_from_pipeline_up_to_after_the_shutdown(tmp_path):
    run = {"window": {"start": 1000.0, "end": 1100.0}, "run": {"started_at": 990.0}}
    (tmp_path / "run_manifest.json").write_text(json.dumps(run))
    since, until = quickstart.verify_window(tmp_path, 1.0)
    assert until == 1101.5
    assert since == "102s"  # from 999.5: the whole run (up at 1000) .. one scrape after the shutdown
    assert manifest.verify_window(run, 1.0) == (since, until)  # the demo's hint: the same rule
    cut = {"window": {"start": None, "end": 1003.0}, "run": {"started_at": 990.0}}  # stopped before it was up
    assert manifest.verify_window(cut, 5.0) == ("19s", 1008.5)
    assert quickstart.scrape_seconds("500ms") == 0.5 and quickstart.scrape_seconds(None) == 5.0


def test_run_ids_are_made_when_not_given_and_validated_when_given(capsys):
    made = runid.new_run_id(1796055720.0)
    assert re.fullmatch(r"20261130T162200Z-[0-9a-f]{4}", made)
    assert runid.check_run_id(None) != runid.check_run_id("")  # a fresh one each time
    assert runid.check_run_id("nightly-42.b_1") == "nightly-42.b_1"
    for bad in ("-lead", "a b", "x" * 65, "a/b", "ü"):
        with pytest.raises(ConfigError, match=r"invalid config: --run-id must be 1-64 characters"):
            runid.check_run_id(bad)
    assert quickstart.main(["--run-id", "bad id"]) == 2
    assert "soakwatch quickstart: invalid config: --run-id must be" in capsys.readouterr().err
    assert quickstart.main(["--pipeline", "a/b"]) == 2
    assert "soakwatch quickstart: invalid config: --pipeline must be" in capsys.readouterr().err


def test_quickstart_passes_ports_and_faults_on(tmp_path):
    args = quickstart.build_parser().parse_args(["--state-dir", str(tmp_path), "--nats-port", "14222",
                                                 "--pushgateway-port", "19091", "--fault", "kill:signal@50%",
                                                 "--scrape-interval", "1s", "--demo-arg=--rate=7000"])
    args.run_id = "r-1"
    up = quickstart._up_argv(args)
    assert up[up.index("--nats-port") + 1] == "14222" and up[-2:] == ["--scrape-interval", "1s"]
    demo = quickstart._demo_argv(args)
    assert demo[demo.index("--nats-url") + 1] == "nats://127.0.0.1:14222"
    assert demo[demo.index("--pushgateway-url") + 1] == "http://127.0.0.1:19091"
    assert demo[-3:] == ["--fault", "kill:signal@50%", "--rate=7000"]
    assert demo[demo.index("--run-id") + 1] == "r-1"
    assert up[up.index("--run-id") + 1] == "r-1" and "--pipeline" not in up  # up's default: demo
    args.pipeline = "nightly"
    up = quickstart._up_argv(args)
    assert up[up.index("--pipeline") + 1] == "nightly"


def test_scrape_interval_replaces_the_global_intervals(tmp_path):
    config = {"global": {"scrape_interval": "5s", "evaluation_interval": "5s", "external_labels": {"a": "b"}}}
    targets = render.local_targets({key: 1 for key in ("prometheus", "pushgateway", "probe", "exporter",
                                                      "alertmanager", "alert_log")})
    out = render.render_prometheus(config, targets, tmp_path, interval="1s")
    assert out["global"] == {"scrape_interval": "1s", "evaluation_interval": "1s", "external_labels": {"a": "b"}}
    assert render.render_prometheus(config, targets, tmp_path)["global"]["scrape_interval"] == "5s"


def test_up_refuses_a_bad_scrape_interval(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        stack_cli.up(["--state-dir", str(tmp_path), "--scrape-interval", "fast"])
    assert info.value.code == 2
    assert "'fast' is not a Prometheus duration like 1s or 500ms" in capsys.readouterr().err
