"""Name a failed TLS handshake for what it is: the server rejected the client certificate, or the server's one."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

import nats.errors

# TLS alerts a server sends when it refuses the client's certificate (or the lack of one)
_CLIENT_CERT_ALERTS = ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA", "CERTIFICATE_UNKNOWN",
                       "HANDSHAKE_FAILURE", "ACCESS_DENIED")
_CLIENT_CERT = ("it requires a client certificate signed by a CA it trusts (mutual TLS); none was sent or it was "
                "not accepted (--tls-cert, --tls-key)")


def uses_tls(options: dict[str, Any]) -> bool:
    """Whether a connection with these nats-py options negotiates TLS."""
    schemes = {urlsplit(url).scheme for url in options.get("servers", [])}
    return "tls" in options or bool(schemes & {"tls", "wss"})


def tls_reason(cause: BaseException, tls: bool) -> str | None:
    """What a connect failure means for TLS, or None when it is not about TLS."""
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (f"the server's TLS certificate was not accepted: {cause.verify_message} "
                "(--tls-ca must name the CA that signed it)")
    if isinstance(cause, ssl.SSLError) and any(alert in str(cause) for alert in _CLIENT_CERT_ALERTS):
        return f"the server rejected the TLS handshake: {_CLIENT_CERT}"
    lost = isinstance(cause, ConnectionResetError | nats.errors.UnexpectedEOF | ssl.SSLEOFError | EOFError)
    if tls and lost:
        return f"the server closed the connection during the TLS handshake, most likely rejecting the client " \
               f"certificate: {_CLIENT_CERT}"
    return None
