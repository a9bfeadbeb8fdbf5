"""What `soakwatch up` starts, in which order, with which command lines (nothing is started here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from soakwatch.errors import ConfigError
from soakwatch.stack import cli, servers, state


def _plan(tmp_path: Path, *flags: str) -> dict[str, servers.Server]:
    args = cli._up_parser("soakwatch up").parse_args(["--probe-port", "7001", "--exporter-port", "7002",
                                                      "--alert-log-port", "7003", "--nats-port", "7004", *flags])
    _, ports = cli._ports(args)
    configs = {"prometheus": tmp_path / "p.yml", "alertmanager": tmp_path / "a.yml"}
    return {s.name: s for s in cli._plan(args, ports, tmp_path / "stack", configs)}


def test_every_part_in_start_order_with_its_readiness(tmp_path):
    plan = _plan(tmp_path, "--with-victoria-metrics")
    assert list(plan) == ["nats-server", "pushgateway", "alertmanager", "alert-log", "victoria-metrics",
                          "prometheus", "probe", "exporter"]
    assert plan["probe"].ready_url == "http://127.0.0.1:7001/metrics"
    assert plan["exporter"].ready_url == "http://127.0.0.1:7002/metrics"
    assert plan["alert-log"].ready_url == "http://127.0.0.1:7003/-/ready"


def test_soakwatch_commands_run_with_this_python_and_the_agreed_flags(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("my.yml").write_text("signals: true\n")
    plan = _plan(tmp_path, "--exporter-config", "my.yml")
    prefix = [sys.executable, "-m", "soakwatch"]
    assert plan["probe"].argv == [*prefix, "probe", "--nats-url", "nats://127.0.0.1:7004",
                                  "--web.listen-address", "127.0.0.1:7001"]
    assert plan["exporter"].argv == [*prefix, "export", "--config", "my.yml", "--nats-url", "nats://127.0.0.1:7004",
                                     "--web.listen-address", "127.0.0.1:7002"]
    assert plan["alert-log"].argv == [*prefix, "alert-log", "--listen", "127.0.0.1:7003",
                                      "--out", str(tmp_path / "alerts.jsonl")]
    assert plan["exporter"].env is not None and plan["exporter"].env[state.STATE_DIR_ENV] == str(tmp_path)


def test_the_exporter_configs_probe_section_sets_the_probes_tick_flags(tmp_path):
    config = tmp_path / "soak.yaml"
    config.write_text("probe:\n  subjects: [app.px.>, app.fx.>]\n  ts_field: t_ms\n  ts_unit: ms\n  seq_field: n\n")
    argv = plan_argv_of(_plan(tmp_path, "--exporter-config", str(config)), "probe")
    assert argv[argv.index("--web.listen-address") + 2:] == [
        "--subject", "app.px.>", "--subject", "app.fx.>", "--ts-field", "t_ms", "--ts-unit", "ms", "--seq-field", "n"]
    assert "--subject" not in plan_argv_of(_plan(tmp_path), "probe")  # the demo config has no probe section


def test_an_unreadable_or_bad_exporter_config_stops_up_before_anything_starts(tmp_path):
    with pytest.raises(ConfigError, match="--exporter-config must be a readable file"):
        _plan(tmp_path, "--exporter-config", str(tmp_path / "absent.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("probe:\n  ts_unit: minutes\n")
    with pytest.raises(ConfigError, match=r"invalid config: probe\.ts_unit must be one of ms, ns, s, us"):
        _plan(tmp_path, "--exporter-config", str(bad))


def test_the_run_id_reaches_the_exporter(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SOAK_RUN_ID", raising=False)
    run = "20261130T170000Z-ab12"
    assert plan_argv_of(_plan(tmp_path, "--run-id", run), "exporter")[-2:] == ["--run-id", run]
    assert "--run-id" not in plan_argv_of(_plan(tmp_path), "exporter")
    with pytest.raises(SystemExit) as exited:
        cli.up(["--state-dir", str(tmp_path / "s"), "--run-id", "no spaces"])
    assert exited.value.code == 2
    assert "argument --run-id: must be 1-64 characters" in capsys.readouterr().err  # the rule, not a type name


def test_switches_leave_parts_out_but_keep_their_ports_as_scrape_targets(tmp_path):
    plan = _plan(tmp_path, "--no-probe", "--no-exporter", "--no-alert-log")
    assert list(plan) == ["nats-server", "pushgateway", "alertmanager", "prometheus"]
    args = cli._up_parser("soakwatch up").parse_args(["--no-probe", "--probe-port", "7001"])
    listening, ports = cli._ports(args)
    assert "probe" not in listening and ports["probe"] == 7001


def test_port_flags_also_read_the_environment(monkeypatch):
    monkeypatch.setenv("SOAKWATCH_PROMETHEUS_PORT", "19999")
    _, ports = cli._ports(cli._up_parser("soakwatch up").parse_args([]))
    assert ports["prometheus"] == 19999 and ports["alertmanager"] == 9093


def test_ctrl_c_while_starting_stops_what_started_and_exits_130(tmp_path, monkeypatch, capsys, port_flags):
    import subprocess

    started: list[subprocess.Popen[bytes]] = []

    def start_one_then_interrupt(plan, record, state_dir, timeout):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        started.append(child)
        record["components"].append({"name": "sleeper", "pid": child.pid,
                                     "create_time": state.process_identity(child.pid)})
        state.write_state(state_dir, record)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_start_all", start_one_then_interrupt)
    code = cli.up(["--state-dir", str(tmp_path / "state"), *port_flags])
    assert code == 130
    assert started[0].wait(15) is not None  # stopped, not left behind
    assert state.read_state(tmp_path / "state") is None
    err = capsys.readouterr().err
    assert "interrupted; every part already started was stopped" in err and "Traceback" not in err


def test_each_run_keeps_its_folder_and_latest_points_at_the_newest(tmp_path):
    assert plan_argv_of(_plan(tmp_path, "--run-id", "r1"), "alert-log")[-1] == str(tmp_path / "runs/r1/alerts.jsonl")
    assert plan_argv_of(_plan(tmp_path), "alert-log")[-1] == str(tmp_path / "alerts.jsonl")
    for run in ("r1", "r2"):
        state.run_dir(tmp_path, run).mkdir(parents=True)
        (state.run_dir(tmp_path, run) / "verdict.json").write_text(run)
        state.link_latest(tmp_path, run)
    assert (tmp_path / "runs" / "latest" / "verdict.json").read_text() == "r2"
    assert (tmp_path / "runs" / "r1" / "verdict.json").read_text() == "r1"  # kept, not overwritten


def plan_argv_of(plan, name):
    return plan[name].argv
