"""verify-soak against a real Prometheus that requires basic auth or serves TLS (``--web.config.file``)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
from verify_support import BASE, backfill, start_prometheus

from soakwatch.stack import Server
from soakwatch.testing.soak_history import LENGTH, build
from soakwatch.verify.cli import main
from soakwatch.verify.promapi import Auth, PromClient, PrometheusRejected, wait_ready

USER, PASSWORD = "soak", "s3cret-Pa55word"


def guarded_prometheus(workdir: Path, web_config: str, auth: Auth, scheme: str = "http") -> Server:
    """A Prometheus on the passing history behind ``web_config``; readiness is polled with ``auth``."""
    web = workdir / "web.yml"
    web.write_text(web_config)
    server = start_prometheus(workdir, backfill(build(BASE), workdir), extra=(f"--web.config.file={web}",))
    server.url = server.url.replace("http://", f"{scheme}://")
    client = PromClient(server.url, auth)
    server._wait_ready = lambda timeout: _ready(client, timeout)  # type: ignore[method-assign]
    return server


def _ready(client: PromClient, timeout: float) -> None:
    """``wait_ready``, also through the 503 Prometheus answers while it still opens its blocks (a loaded CI)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return wait_ready(client, max(0.1, deadline - time.monotonic()))
        except PrometheusRejected as exc:
            if "503" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("guarded")
    digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    password = workdir / "password"
    password.write_text(PASSWORD + "\n")
    auth = Auth(basic_user=USER, basic_password_file=password)
    with guarded_prometheus(workdir, f"basic_auth_users:\n  {USER}: {digest}\n", auth) as server:
        yield server


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    workdir = tmp_path_factory.mktemp("tls")
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    web = f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
    with guarded_prometheus(workdir, web, Auth(ca_file=cert), scheme="https") as server:
        yield server, cert


def args(server: Server, *extra: str) -> list[str]:
    return ["--prometheus-url", server.url, "--since", "60m", "--until", str(BASE + LENGTH), *extra]


def test_basic_auth_with_a_password_file_passes(guarded: Server, tmp_path: Path, capsys):
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    out = tmp_path / "evidence"
    code = main(args(guarded, "--basic-auth-user", USER, "--basic-auth-password-file", str(password),
                     "--out", str(out)))
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    for path in [*out.iterdir()]:
        assert PASSWORD not in path.read_text(), f"password leaked into {path.name}"
    assert PASSWORD not in printed.out + printed.err


def test_wrong_password_exits_2_without_showing_it(guarded: Server, tmp_path: Path, capsys):
    password = tmp_path / "password"
    password.write_text("not-the-password")
    code = main(args(guarded, "--basic-auth-user", USER, "--basic-auth-password-file", str(password)))
    err = capsys.readouterr().err
    assert code == 2
    assert f"prometheus at {guarded.url} rejected the request: HTTP 401" in err
    assert "not-the-password" not in err


def test_no_credentials_exits_2(guarded: Server, capsys):
    assert main(args(guarded)) == 2
    assert "HTTP 401" in capsys.readouterr().err


def test_missing_password_file_is_a_config_error(guarded: Server, tmp_path: Path, capsys):
    code = main(args(guarded, "--basic-auth-user", USER, "--basic-auth-password-file", str(tmp_path / "nope")))
    assert code == 2
    assert "invalid config: --basic-auth-password-file must be a readable file" in capsys.readouterr().err


def test_tls_with_the_ca_file_passes(tls, capsys):
    server, cert = tls
    assert main(args(server, "--ca-file", str(cert), "--only", "tick_rate")) == 0
    assert capsys.readouterr().out.rstrip().endswith("verdict: PASS (1/1 criteria passed)")


def test_tls_without_the_ca_is_unreachable_naming_the_reason(tls, capsys):
    server, _ = tls
    assert main(args(server, "--only", "tick_rate")) == 2
    err = capsys.readouterr().err
    assert f"prometheus unreachable at {server.url}" in err and "CERTIFICATE_VERIFY_FAILED" in err


def test_tls_insecure_skip_verify(tls, capsys):
    server, _ = tls
    assert main(args(server, "--insecure-skip-verify", "--only", "tick_rate")) == 0
