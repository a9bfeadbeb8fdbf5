"""NATS connection flags: environment fallback, validation, secrets kept out of help and URLs."""

import argparse

import pytest

from soakwatch.errors import ConfigError
from soakwatch.natsconn import add_nats_arguments, connect_options, redact_url


def _parse(argv, monkeypatch=None, env=None):
    if monkeypatch is not None:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser()
    add_nats_arguments(parser)
    return parser, parser.parse_args(argv)


def test_env_fallback_and_flag_precedence(monkeypatch):
    env = {"NATS_URL": "nats://10.0.0.1:4222", "NATS_USER": "u", "NATS_PASSWORD": "pw"}
    _, args = _parse([], monkeypatch, env)
    assert connect_options(args) == {"servers": ["nats://10.0.0.1:4222"], "user": "u", "password": "pw"}
    _, args = _parse(["--nats-url", "nats://127.0.0.1:1"], monkeypatch, env)
    assert connect_options(args)["servers"] == ["nats://127.0.0.1:1"]


def test_help_names_env_but_never_the_secret(monkeypatch):
    parser, _ = _parse([], monkeypatch, {"NATS_PASSWORD": "hunter2", "NATS_TOKEN": "tok3n"})
    text = parser.format_help()
    assert "env NATS_PASSWORD" in text and "env NATS_URL" in text
    assert "hunter2" not in text and "tok3n" not in text


def test_user_without_password_is_rejected(monkeypatch):
    monkeypatch.delenv("NATS_PASSWORD", raising=False)
    _, args = _parse(["--user", "alice"])
    with pytest.raises(ConfigError, match=r"invalid config: --user/--password must be given together"):
        connect_options(args)


def test_bad_scheme_is_rejected_without_leaking_password():
    _, args = _parse(["--nats-url", "http://bob:secret@host:4222"])
    with pytest.raises(ConfigError) as info:
        connect_options(args)
    assert "--nats-url" in str(info.value) and "secret" not in str(info.value)


def test_redact_url():
    assert redact_url("nats://u:p@h:4222") == "nats://***@h:4222"
    assert redact_url("nats://h:4222") == "nats://h:4222"


def test_password_and_token_from_files(tmp_path, monkeypatch):
    (tmp_path / "pw").write_text("s3cret\n")
    (tmp_path / "tok").write_text("t0ken")
    _, args = _parse(["--user", "u", "--password-file", str(tmp_path / "pw"), "--token-file", str(tmp_path / "tok")])
    options = connect_options(args)
    assert (options["user"], options["password"], options["token"]) == ("u", "s3cret", "t0ken")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(tmp_path / "pw"))
    _, args = _parse(["--user", "u"])
    assert connect_options(args)["password"] == "s3cret"


@pytest.mark.parametrize(("argv", "message"), [
    (["--password", "x", "--password-file", "{tmp}/pw", "--user", "u"], "--password/--password-file are exclusive"),
    (["--token-file", "{tmp}/missing"], "--token-file must name a readable file (No such file or directory: "),
    (["--token-file", "{tmp}/empty"], "--token-file must not be empty"),
    (["--nkey", "{tmp}/missing.nk"], "--nkey must name a readable file (No such file or directory: {tmp}/missing.nk)"),
    (["--creds", "{tmp}/missing.creds"], "--creds must name a readable file"),
    (["--tls-ca", "{tmp}/missing-ca.pem"], "--tls-ca must name a readable file (No such file or directory: "),
    (["--tls-ca", "{tmp}/pw"], "--tls-ca must be a PEM CA certificate file"),
    (["--tls-cert", "{tmp}/missing.pem", "--tls-key", "{tmp}/pw"], "--tls-cert must name a readable file"),
])
def test_bad_secret_and_tls_files_name_the_flag_and_file(tmp_path, argv, message):
    (tmp_path / "pw").write_text("x")
    (tmp_path / "empty").write_text("\n")
    _, args = _parse([a.format(tmp=tmp_path) for a in argv])
    with pytest.raises(ConfigError) as info:
        connect_options(args)
    assert message.format(tmp=tmp_path) in str(info.value)


def test_help_warns_that_secret_flags_show_in_ps():
    parser, _ = _parse([])
    text = " ".join(parser.format_help().split())
    assert "visible to other users in ps" in text and "--password-file" in text and "--token-file" in text
