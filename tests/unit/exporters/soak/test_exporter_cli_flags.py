"""`soakwatch export` flags: precedence flag > config > environment > default, and --check-config."""

import pytest
import yaml

from soakwatch.exporters.soak.cli import build_parser, main, resolve


def _resolve(argv, monkeypatch, env=None):
    for key, val in (env or {}).items():
        monkeypatch.setenv(key, val)
    args = build_parser("soakwatch export").parse_args(argv)
    config = resolve(args, argv)
    return args, config


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "soak.yaml"
    path.write_text("exporter: {listen_address: '127.0.0.1:7001'}\nnats: {url: 'nats://127.0.0.1:7002'}\n"
                    "signals: true\n")
    return path


def test_flag_beats_config(config_file, monkeypatch):
    argv = ["--config", str(config_file), "--web.listen-address=:7010", "--nats-url", "nats://127.0.0.1:7011"]
    args, _ = _resolve(argv, monkeypatch)
    assert args.listen == ("0.0.0.0", 7010) and args.nats_url == "nats://127.0.0.1:7011"


def test_config_beats_environment(config_file, monkeypatch):
    env = {"SOAK_EXPORTER_LISTEN_ADDRESS": "127.0.0.1:7020", "NATS_URL": "nats://127.0.0.1:7021"}
    args, _ = _resolve(["--config", str(config_file)], monkeypatch, env)
    assert args.listen == ("127.0.0.1", 7001) and args.nats_url == "nats://127.0.0.1:7002"


def test_environment_beats_default(tmp_path, monkeypatch):
    path = tmp_path / "soak.yaml"
    path.write_text("signals: true\n")
    args, _ = _resolve(["--config", str(path)], monkeypatch, {"SOAK_EXPORTER_LISTEN_ADDRESS": "127.0.0.1:7030"})
    assert args.listen == ("127.0.0.1", 7030)
    monkeypatch.delenv("SOAK_EXPORTER_LISTEN_ADDRESS")
    args, _ = _resolve(["--config", str(path)], monkeypatch)
    assert args.listen == ("0.0.0.0", 9465)


def test_config_from_environment_and_check_config(config_file, monkeypatch, capsys):
    monkeypatch.setenv("SOAK_EXPORTER_CONFIG", str(config_file))
    assert main(["--check-config"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"# config ok: {config_file}"
    # the config as it will run, defaults filled in
    assert yaml.safe_load(out)["signals"] == {"subject": "signal.>", "source": "nats"}
    assert main(["--config", "demo", "--check-config", "--nats-url", "nats://u:hunter2@127.0.0.1:4222"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    shown = yaml.safe_load(out)
    assert shown["processes"]["match"]["signal"]["cmdline"] == r"soakwatch\.demo\.worker\s+signal\b"
    assert shown["exports"]["backends"] == ["prometheus"]


def test_config_file_that_is_not_utf8_or_not_a_mapping(tmp_path, capsys):
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("processes: {match: {caf\xe9: x}}\n".encode("latin-1"))
    assert main(["--config", str(latin)]) == 2
    assert "--config must be UTF-8 text" in capsys.readouterr().err
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    assert main(["--config", str(listed)]) == 2
    assert "invalid config: (top level) must be a mapping, got list" in capsys.readouterr().err


def test_help_names_env_variables(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for var in ("SOAK_EXPORTER_CONFIG", "SOAK_EXPORTER_LISTEN_ADDRESS", "NATS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        assert var in out


def test_bad_nats_url_is_config_error(config_file, capsys):
    assert main(["--config", str(config_file), "--nats-url", "http://x"]) == 2
    assert "invalid config: --nats-url must be nats://" in capsys.readouterr().err


def test_state_file_and_run_id_flag_beats_config_beats_environment(tmp_path, monkeypatch):
    path = tmp_path / "soak.yaml"
    path.write_text("exporter: {state_file: from-config.json, run_id: cfg-run}\nsignals: true\n")
    env = {"SOAK_EXPORTER_STATE_FILE": "from-env.json", "SOAK_RUN_ID": "env-run"}
    _, config = _resolve(["--config", str(path)], monkeypatch, env)
    assert (str(config.state_file), config.run_id) == ("from-config.json", "cfg-run")
    _, config = _resolve(["--config", str(path), "--state-file", "flag.json", "--run-id=flag-run"], monkeypatch)
    assert (str(config.state_file), config.run_id) == ("flag.json", "flag-run")
    path.write_text("signals: true\n")
    _, config = _resolve(["--config", str(path)], monkeypatch, env)
    assert (str(config.state_file), config.run_id) == ("from-env.json", "env-run")


def test_a_run_id_that_is_no_label_value_is_refused(tmp_path, monkeypatch, capsys):
    path = tmp_path / "soak.yaml"
    path.write_text("signals: true\n")
    assert main(["--config", str(path), "--run-id", "a b"]) == 2
    assert "invalid config: --run-id must be a label value" in capsys.readouterr().err
