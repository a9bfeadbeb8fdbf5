"""verify-soak against a real Prometheus that requires basic auth (``--web.config.file``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
from verify_support import BASE, backfill, start_prometheus

from soakwatch.stack import Server
from soakwatch.testing.soak_history import LENGTH, build
from soakwatch.verify.cli import main
from soakwatch.verify.promapi import Auth, PromClient, wait_ready

USER, PASSWORD = "soak", "s3cret-Pa55word"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("guarded")
    web = workdir / "web.yml"
    digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    web.write_text(f"basic_auth_users:\n  {USER}: {digest}\n")
    server = start_prometheus(workdir, backfill(build(BASE), workdir), extra=(f"--web.config.file={web}",))
    password = workdir / "password"
    password.write_text(PASSWORD + "\n")
    client = PromClient(server.url, Auth(basic_user=USER, basic_password_file=password))
    server._wait_ready = lambda timeout: wait_ready(client, timeout)  # type: ignore[method-assign]
    with server:
        yield server


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
