"""NATS connection flags (URL, user/password, token, creds, nkey, TLS) shared by every NATS client."""

from __future__ import annotations

import argparse
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from soakwatch.errors import ConfigError
from soakwatch.options import env_flag

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def add_nats_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the NATS connection flags; secrets come from flags or environment, never printed."""
    group = parser.add_argument_group("NATS connection")
    env_flag(group, "--nats-url", env="NATS_URL", default=DEFAULT_NATS_URL,
             help="NATS server URL(s), comma-separated")
    env_flag(group, "--user", env="NATS_USER", help="user name")
    env_flag(group, "--password", env="NATS_PASSWORD", secret=True,
             help="password (a flag's value is visible to other users in ps: prefer --password-file or the env)")
    env_flag(group, "--password-file", env="NATS_PASSWORD_FILE", help="file holding the password")
    env_flag(group, "--token", env="NATS_TOKEN", secret=True,
             help="auth token (a flag's value is visible to other users in ps: prefer --token-file or the env)")
    env_flag(group, "--token-file", env="NATS_TOKEN_FILE", help="file holding the auth token")
    env_flag(group, "--creds", env="NATS_CREDS", help="user credentials file (JWT + nkey seed)")
    env_flag(group, "--nkey", env="NATS_NKEY", help="nkey seed file")
    env_flag(group, "--tls-ca", env="NATS_TLS_CA", help="CA certificate file to verify the server")
    env_flag(group, "--tls-cert", env="NATS_TLS_CERT", help="client certificate file")
    env_flag(group, "--tls-key", env="NATS_TLS_KEY", help="client key file")


def connect_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``nats.connect`` from the parsed flags."""
    servers = [url.strip() for url in str(args.nats_url).split(",") if url.strip()]
    if not servers:
        raise ConfigError("--nats-url", "must name at least one server")
    for url in servers:
        if urlsplit(url).scheme not in ("nats", "tls", "ws", "wss"):
            raise ConfigError("--nats-url", f"must be nats://, tls://, ws:// or wss://, got {redact_url(url)}")
    options: dict[str, Any] = {"servers": servers}
    password = _secret(args, "password")
    if args.user or password:
        if not (args.user and password):
            raise ConfigError("--user/--password", "must be given together")
        options.update(user=args.user, password=password)
    token = _secret(args, "token")
    if token:
        options["token"] = token
    if args.creds:
        options["user_credentials"] = _readable(args.creds, "--creds")
    if args.nkey:
        options["nkeys_seed"] = _readable(args.nkey, "--nkey")
    tls = _tls_context(args)
    if tls is not None:
        options["tls"] = tls
    return options


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not (args.tls_ca or args.tls_cert or args.tls_key):
        return None
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert/--tls-key", "must be given together")
    ca = _readable(args.tls_ca, "--tls-ca") if args.tls_ca else None
    try:
        context = ssl.create_default_context(cafile=ca)
    except ssl.SSLError as exc:
        raise ConfigError("--tls-ca", f"must be a PEM CA certificate file ({exc.reason or exc}: {ca})") from None
    if args.tls_cert:
        cert, key = _readable(args.tls_cert, "--tls-cert"), _readable(args.tls_key, "--tls-key")
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError as exc:
            raise ConfigError("--tls-cert/--tls-key", f"must be a matching PEM certificate and key "
                                                      f"({exc.reason or exc}: {cert}, {key})") from None
    return context


def _readable(path: str, flag: str) -> str:
    """``path`` when it names a readable file; otherwise a ConfigError naming the flag and the file."""
    try:
        with open(path, "rb"):
            return path
    except OSError as exc:
        raise ConfigError(flag, f"must name a readable file ({exc.strerror or exc}: {path})") from None


def _secret(args: argparse.Namespace, name: str) -> str | None:
    """The password or token from its flag/env, or from its ``--NAME-file`` (one of the two, not both)."""
    value, path = getattr(args, name, None), getattr(args, f"{name}_file", None)
    if value and path:
        raise ConfigError(f"--{name}/--{name}-file", "are exclusive: give one")
    if not path:
        return value or None
    try:
        text = Path(_readable(path, f"--{name}-file")).read_text().strip()
    except UnicodeDecodeError:
        raise ConfigError(f"--{name}-file", f"must be a UTF-8 text file: {path}") from None
    if not text:
        raise ConfigError(f"--{name}-file", f"must not be empty: {path}")
    return text


def redact_url(url: str) -> str:
    """The URL with any user:password@ replaced, safe for logs and reports."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def public_url(url: str | None) -> str | None:
    """``url`` without user info, query string, fragment (where tokens travel) or trailing slash, for reports
    and logs; text that is not a URL is returned as it is."""
    if url is None or "://" not in url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
