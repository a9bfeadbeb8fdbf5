"""Start and stop the stack's real servers as local processes (used by `soakwatch up` and the tests)."""

from soakwatch.stack.servers import (
    MissingBinaryError,
    PortInUseError,
    Server,
    ServerStartError,
    alertmanager,
    find_binary,
    free_port,
    nats_server,
    prometheus,
    pushgateway,
    victoria_metrics,
)

__all__ = [
    "MissingBinaryError",
    "PortInUseError",
    "Server",
    "ServerStartError",
    "alertmanager",
    "find_binary",
    "free_port",
    "nats_server",
    "prometheus",
    "pushgateway",
    "victoria_metrics",
]
