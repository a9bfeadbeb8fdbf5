"""NATS connection flags (URL, user/password, token, creds, nkey, TLS) shared by every NATS client."""

from __future__ import annotations

import argparse
import ssl
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
    env_flag(group, "--password", env="NATS_PASSWORD", secret=True, help="password")
    env_flag(group, "--token", env="NATS_TOKEN", secret=True, help="auth token")
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
    if args.user or args.password:
        if not (args.user and args.password):
            raise ConfigError("--user/--password", "must be given together")
        options.update(user=args.user, password=args.password)
    if args.token:
        options["token"] = args.token
    if args.creds:
        options["user_credentials"] = args.creds
    if args.nkey:
        options["nkeys_seed"] = args.nkey
    tls = _tls_context(args)
    if tls is not None:
        options["tls"] = tls
    return options


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not (args.tls_ca or args.tls_cert or args.tls_key):
        return None
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert/--tls-key", "must be given together")
    context = ssl.create_default_context(cafile=args.tls_ca or None)
    if args.tls_cert:
        context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def redact_url(url: str) -> str:
    """The URL with any user:password@ replaced, safe for logs and reports."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
