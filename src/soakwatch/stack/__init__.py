"""Start and stop the stack's real servers as local processes (used by `soakwatch up` and the tests)."""

from soakwatch.stack.servers import (
    MissingBinaryError,
    PortInUseError,
    Server,
    ServerStartError,
    alertmanager,
    find_binary,
    free_port,
    http_ok,
    nats_server,
    prometheus,
    pushgateway,
    soakwatch_command,
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
    "http_ok",
    "nats_server",
    "prometheus",
    "pushgateway",
    "soakwatch_command",
    "victoria_metrics",
]
