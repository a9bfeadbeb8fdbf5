"""The Prometheus API client: auth headers, redaction, errors that name the URL and never a secret."""

import base64
from pathlib import Path

import pytest

from soakwatch.errors import ConfigError
from soakwatch.stack import free_port
from soakwatch.verify.promapi import Auth, PromClient, PrometheusUnreachable, redact_url


def test_bearer_token_from_file(tmp_path: Path):
    token = tmp_path / "token"
    token.write_text("abc.def\n")
    assert Auth(bearer_token_file=token).headers() == {"Authorization": "Bearer abc.def"}


def test_basic_auth_from_password_file(tmp_path: Path):
    password = tmp_path / "pw"
    password.write_text("p@ss\n")
    header = Auth(basic_user="soak", basic_password_file=password).headers()["Authorization"]
    assert base64.b64decode(header.removeprefix("Basic ")) == b"soak:p@ss"


def test_auth_flag_rules(tmp_path: Path):
    secret = tmp_path / "s"
    secret.write_text("x")
    with pytest.raises(ConfigError, match="--basic-auth-password-file is required with --basic-auth-user"):
        Auth(basic_user="u").headers()
    with pytest.raises(ConfigError, match="--bearer-token-file cannot be combined"):
        Auth(bearer_token_file=secret, basic_user="u", basic_password_file=secret).headers()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="--bearer-token-file must not be empty"):
        Auth(bearer_token_file=empty).headers()
    with pytest.raises(ConfigError, match="--ca-file must be a readable file"):
        Auth(ca_file=tmp_path / "nope.pem").ssl_context()


def test_urls_are_redacted():
    assert redact_url("https://user:secret@prom.example:9443/prefix/?token=x") == "https://prom.example:9443/prefix"
    with pytest.raises(ConfigError, match="--prometheus-url must be an http"):
        PromClient("ftp://127.0.0.1:9090")


def test_unreachable_names_url_and_reason_without_secrets():
    port = free_port()
    client = PromClient(f"http://user:hunter2@127.0.0.1:{port}/")
    with pytest.raises(PrometheusUnreachable) as info:
        client.query("up", 0)
    message = str(info.value)
    assert message.startswith(f"verify-soak: prometheus unreachable at http://127.0.0.1:{port}: ")
    assert "refused" in message.lower() and "hunter2" not in message
