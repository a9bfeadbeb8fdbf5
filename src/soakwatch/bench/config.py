"""The validated, frozen parameters of one benchmark run."""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass

from soakwatch.bench.pacing import Plan, split
from soakwatch.errors import ConfigError

MODES = ("pubsub", "request", "jetstream")
DEFAULT_MSGS = 10_000
_STREAM_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
TIMESTAMP_BYTES = 8  # every payload starts with its intended send time (ns, big-endian)


@dataclass(frozen=True)
class BenchConfig:
    """Parameters of one run; ``msgs`` is per repeat and split across ``clients``."""

    mode: str
    msgs: int | None = DEFAULT_MSGS
    size: int = 128
    clients: int = 1
    rate: float | None = None
    duration: float | None = None
    repeats: int = 3
    warmup: int = 1000
    seed: int = 1337
    timeout: float = 5.0
    responders: int = 1
    batch: int = 100
    keep_stream: bool = False
    stream: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError("mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.msgs is None and self.duration is None:
            raise ConfigError("--msgs/--duration", "one of them must be given")
        if self.size < TIMESTAMP_BYTES:
            raise ConfigError("--size", f"must be >= {TIMESTAMP_BYTES} bytes (the send timestamp), got {self.size}")
        if self.stream is not None and not _STREAM_NAME.fullmatch(self.stream):
            raise ConfigError("--stream", f"must be letters, digits, '-' or '_', got {self.stream!r}")
        if self.msgs is not None and self.msgs < self.clients:
            raise ConfigError("--msgs", f"must be >= --clients ({self.clients}), got {self.msgs}")

    def plan(self) -> Plan:
        """What each client sends in a measured repeat."""
        counts = [None] * self.clients if self.msgs is None else split(self.msgs, self.clients)
        return Plan(counts, self.rate, self.duration)

    def warmup_plan(self) -> Plan:
        """The warm-up: ``warmup`` messages in all, flat out."""
        return Plan(split(self.warmup, self.clients))

    def body(self) -> bytes:
        """The payload after the timestamp: seeded random bytes, the same for every message of a run."""
        return random.Random(self.seed).randbytes(self.size - TIMESTAMP_BYTES)

    def parameters(self) -> dict[str, object]:
        """The parameters as they appear at the top of the report (mode-specific ones only for their mode)."""
        params = asdict(self)
        if self.mode != "request":
            del params["responders"]
        if self.mode != "jetstream":
            for key in ("batch", "keep_stream", "stream"):
                del params[key]
        return params
