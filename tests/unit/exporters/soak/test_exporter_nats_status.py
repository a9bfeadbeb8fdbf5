"""The soak exporter's view of its own NATS connection."""

from __future__ import annotations

from nats.errors import AuthorizationError, Error, NoServersError, UnexpectedEOF
from prometheus_client import CollectorRegistry

from soakwatch.exporters.soak.nats_status import NatsStatus, error_reason


def test_rejected_logins_are_named_authorization() -> None:
    assert error_reason(AuthorizationError()) == "authorization"
    assert error_reason(Error("nats: 'Authorization Violation'")) == "authorization"
    assert error_reason(NoServersError()) == "no_servers_error"
    assert error_reason(ConnectionRefusedError("refused")) == "connection_refused_error"
    assert error_reason(UnexpectedEOF()) == "unexpected_eof"


def test_connected_and_reconnects_are_exposed() -> None:
    status, registry = NatsStatus(), CollectorRegistry()
    registry.register(status)
    assert registry.get_sample_value("soak_exporter_nats_connected") == 0.0
    status.set_connected(True)
    status.set_connected(False)
    status.reconnected()
    assert registry.get_sample_value("soak_exporter_nats_connected") == 1.0
    assert registry.get_sample_value("soak_exporter_nats_reconnects_total") == 1.0
