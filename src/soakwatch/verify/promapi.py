"""Prometheus HTTP API client (instant and range queries) with bearer, basic auth and TLS options."""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soakwatch.errors import ConfigError, SoakwatchError
from soakwatch.natsconn import public_url

DEFAULT_TIMEOUT = 30.0


class PrometheusError(SoakwatchError):
    """A query could not be answered; the message names the URL and the reason."""


class PrometheusUnreachable(PrometheusError):
    """No HTTP answer from the server (refused, timeout, DNS, TLS)."""


class PrometheusRejected(PrometheusError):
    """The server answered with an error (bad query, bad credentials, 5xx); ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Auth:
    """Credentials and TLS settings; secrets are read from files and never shown."""

    bearer_token_file: Path | None = None
    basic_user: str | None = None
    basic_password_file: Path | None = None
    ca_file: Path | None = None
    insecure_skip_verify: bool = False

    def headers(self) -> dict[str, str]:
        if self.bearer_token_file and self.basic_user:
            raise ConfigError("--bearer-token-file", "cannot be combined with --basic-auth-user")
        if self.bearer_token_file:
            return {"Authorization": f"Bearer {_read_secret(self.bearer_token_file, '--bearer-token-file')}"}
        if self.basic_user:
            if not self.basic_password_file:
                raise ConfigError("--basic-auth-password-file", "is required with --basic-auth-user")
            password = _read_secret(self.basic_password_file, "--basic-auth-password-file")
            token = base64.b64encode(f"{self.basic_user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        if self.basic_password_file:
            raise ConfigError("--basic-auth-user", "is required with --basic-auth-password-file")
        return {}

    def ssl_context(self) -> ssl.SSLContext:
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ConfigError("--ca-file", f"must be a readable file, {self.ca_file} is not")
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if self.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def _read_secret(path: Path, flag: str) -> str:
    try:
        value = Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(flag, f"must be a readable file ({exc.strerror or exc})") from None
    if not value:
        raise ConfigError(flag, f"must not be empty ({path})")
    return value


def _url_credentials(parts: urllib.parse.SplitResult) -> dict[str, str]:
    """Basic auth from ``https://user:password@host`` when no auth flag is given."""
    if not parts.username:
        return {}
    pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
    return {"Authorization": f"Basic {base64.b64encode(pair.encode()).decode()}"}


def redact_url(url: str) -> str:
    """``url`` without user info, query string or trailing slash, safe to print and record."""
    return str(public_url(url))


class PromClient:
    """Minimal client of ``/api/v1/query``, ``/api/v1/query_range`` and ``/api/v1/series``; returns the ``data``."""

    def __init__(self, url: str, auth: Auth | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("--prometheus-url", f"must be an http(s) URL, got {redact_url(url)!r}")
        self.url = redact_url(url)
        self.timeout = timeout
        auth = auth or Auth()
        self._headers = {"Accept": "application/json", **(auth.headers() or _url_credentials(parts))}
        self._context = auth.ssl_context() if parts.scheme == "https" else None

    def query(self, expr: str, at: float) -> dict[str, Any]:
        """Instant query at unix time ``at``."""
        return dict(self._get("/api/v1/query", {"query": expr, "time": _fmt(at)}))

    def query_range(self, expr: str, start: float, end: float, step: float) -> dict[str, Any]:
        """Range query; ``step`` in seconds."""
        params = {"query": expr, "start": _fmt(start), "end": _fmt(end), "step": _fmt(step)}
        return dict(self._get("/api/v1/query_range", params))

    def series(self, match: str, start: float, end: float) -> list[dict[str, str]]:
        """The label sets of the series ``match`` selects that have samples between ``start`` and ``end``
        (``/api/v1/series``; Prometheus and VictoriaMetrics alike)."""
        found = self._get("/api/v1/series", {"match[]": match, "start": _fmt(start), "end": _fmt(end)})
        return list(found)

    def _get(self, path: str, params: dict[str, str]) -> Any:
        body = urllib.parse.urlencode(params).encode()
        headers = {**self._headers, "Content-Type": "application/x-www-form-urlencoded"}
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._context) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise PrometheusRejected(self._rejection(exc), exc.code) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PrometheusUnreachable(f"verify-soak: prometheus unreachable at {self.url}: {reason}") from None
        return self._data(payload)

    def _rejection(self, exc: urllib.error.HTTPError) -> str:
        detail = ""
        with contextlib.suppress(ValueError, OSError, AttributeError):
            detail = json.loads(exc.read() or b"{}").get("error", "")
        reason = f"HTTP {exc.code} {exc.reason}"
        if exc.code in (401, 403):
            reason += " (check --bearer-token-file or --basic-auth-user/--basic-auth-password-file)"
        return f"verify-soak: prometheus at {self.url} rejected the request: {reason}" + (
            f": {detail}" if detail else "")

    def _data(self, payload: bytes) -> Any:
        try:
            document = json.loads(payload)
        except ValueError:
            raise PrometheusRejected(
                f"verify-soak: prometheus at {self.url} answered with something that is not JSON") from None
        if document.get("status") != "success":
            raise PrometheusRejected(
                f"verify-soak: prometheus at {self.url} rejected the request: {document.get('error', document)}")
        return document["data"]


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def wait_ready(client: PromClient, deadline_seconds: float = 10.0) -> None:
    """Poll a trivial query until the server answers (used by tests after a restart); a 503 (the TSDB is still
    loading) counts as not ready yet."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            client.query("vector(1)", time.time())
            return
        except PrometheusError as exc:
            starting = isinstance(exc, PrometheusUnreachable) or getattr(exc, "status", None) == 503
            if not starting or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
