"""TLS connect failures of soakwatch bench are named: client certificate rejected, server certificate untrusted."""

import ssl

import nats.errors
import pytest

from soakwatch.bench.tlserrors import tls_reason, uses_tls


def _verify_error():
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    return error


def test_uses_tls():
    assert uses_tls({"servers": ["tls://127.0.0.1:4222"]})
    assert uses_tls({"servers": ["nats://127.0.0.1:4222"], "tls": ssl.create_default_context()})
    assert not uses_tls({"servers": ["nats://127.0.0.1:4222", "ws://127.0.0.1:8080"]})


@pytest.mark.parametrize(
    ("cause", "tls", "start"),
    [
        (ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"), True,
         "the server rejected the TLS handshake: it requires a client certificate"),
        (ssl.SSLError(1, "[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate"), True,
         "the server rejected the TLS handshake"),
        (ConnectionResetError("Connection lost"), True, "the server closed the connection during the TLS handshake"),
        (nats.errors.UnexpectedEOF(), True, "the server closed the connection during the TLS handshake"),
        (_verify_error(), True, "the server's TLS certificate was not accepted: unable to get local issuer"),
    ],
)
def test_tls_failures_are_named(cause, tls, start):
    assert tls_reason(cause, tls).startswith(start)


@pytest.mark.parametrize("cause", [ConnectionResetError("Connection lost"), ConnectionRefusedError(111, "refused"),
                                   nats.errors.NoServersError()])
def test_other_failures_are_left_alone(cause):
    assert tls_reason(cause, False) is None
    if not isinstance(cause, ConnectionResetError):
        assert tls_reason(cause, True) is None
