"""What every demo role shares at run time: the NATS connection, the instrument and the faults in force."""

from __future__ import annotations

import argparse
import logging
from typing import Any, Protocol, cast

from nats.aio.client import Client

from soakwatch.demo.control import parse_active
from soakwatch.instrument import Instrument

log = logging.getLogger("soakwatch.demo.worker")


class Role(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def on_fault(self, kind: str, active: bool, value: float | None) -> None: ...


class Runtime:
    """What every role shares: the NATS connection, the instrument and the faults in force."""

    def __init__(self, nc: Client, role: str, args: argparse.Namespace) -> None:
        self.nc, self.role, self.args = nc, role, args
        self.inst = Instrument(cast(Any, nc), process=role)  # nats Client.publish has named extras
        self.faults: dict[str, float | None] = parse_active(args.active)

    def status(self) -> str:
        return "unhealthy" if "unhealthy" in self.faults else "healthy"

    def fault(self, kind: str, active: bool, value: float | None) -> None:
        if active:
            self.faults[kind] = value
        else:
            self.faults.pop(kind, None)
        log.warning("%s: fault %s %s", self.role, kind, "on" if active else "off")
