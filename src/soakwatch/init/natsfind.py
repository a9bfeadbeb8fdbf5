"""What flows on NATS: subjects, rates and payload samples, from a bounded listen on ``>`` and the server's
monitoring endpoints (``/varz``, ``/connz?subs=detail``). Nothing is ever published."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import nats
import orjson

from soakwatch.contract import TICK_TS_HEADER

CLIENT_NAME = "soakwatch-init"
SAMPLES_PER_SUBJECT = 50
MAX_SUBJECTS = 1000
CONNECT_TIMEOUT = 5.0


@dataclass
class SubjectSeen:
    """One concrete subject heard while listening: counts and the first payloads (JSON objects only)."""

    subject: str
    messages: int = 0
    not_json: int = 0
    header_ts: int = 0  # messages carrying the Soak-Ts header
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Connection:
    """A client connection as the server's monitoring reports it."""

    cid: int
    name: str
    port: int
    in_msgs: int
    subscriptions: dict[str, int]  # subject -> messages delivered


@dataclass
class Monitor:
    """Two snapshots of ``/connz?subs=detail`` a listen apart."""

    url: str
    seconds: float
    before: dict[int, Connection]
    after: dict[int, Connection]

    def publish_rate(self, cid: int) -> float:
        """Messages per second a connection published between the snapshots."""
        now, then = self.after.get(cid), self.before.get(cid)
        return (now.in_msgs - (then.in_msgs if then else 0)) / self.seconds if now and self.seconds > 0 else 0.0

    def subscription_rates(self) -> dict[str, float]:
        """Messages per second delivered per subscribed subject (summed over connections, init's own left out)."""
        rates: dict[str, float] = {}
        for cid, conn in self.after.items():
            if conn.name == CLIENT_NAME:
                continue
            before = self.before.get(cid)
            for subject, msgs in conn.subscriptions.items():
                delta = msgs - (before.subscriptions.get(subject, 0) if before else 0)
                rates[subject] = rates.get(subject, 0.0) + delta / self.seconds
        return rates


@dataclass
class NatsSeen:
    """Everything heard: subjects, the listen's length, whether a bound stopped it, the monitoring view."""

    subjects: dict[str, SubjectSeen]
    seconds: float
    stopped_by: str  # "time" or "messages"
    monitor: Monitor | None = None
    monitor_error: str | None = None

    def rate(self, subject: str) -> float:
        return self.subjects[subject].messages / self.seconds if self.seconds > 0 else 0.0


class _Listener:
    def __init__(self, max_messages: int) -> None:
        self.subjects: dict[str, SubjectSeen] = {}
        self.total, self.max_messages = 0, max_messages
        self.full = asyncio.Event()

    async def on_message(self, msg: Any) -> None:
        if self.full.is_set() or msg.subject.startswith(("_INBOX.", "$")):
            return
        self.total += 1
        if self.total >= self.max_messages:
            self.full.set()
        seen = self.subjects.get(msg.subject)
        if seen is None:
            if len(self.subjects) >= MAX_SUBJECTS:
                return
            seen = self.subjects[msg.subject] = SubjectSeen(msg.subject)
        seen.messages += 1
        seen.header_ts += bool(msg.headers and TICK_TS_HEADER in msg.headers)
        if len(seen.samples) < SAMPLES_PER_SUBJECT:
            try:
                body = orjson.loads(msg.data)
            except orjson.JSONDecodeError:
                seen.not_json += 1
                return
            if isinstance(body, dict):
                seen.samples.append(body)
            else:
                seen.not_json += 1


async def listen(options: dict[str, Any], seconds: float, max_messages: int,
                 monitor_url: str | None = None) -> NatsSeen:
    """Subscribe to ``>`` for at most ``seconds`` and ``max_messages``; snapshot monitoring around it."""
    nc = await connect(options)
    listener = _Listener(max_messages)
    try:
        await nc.subscribe(">", cb=listener.on_message, pending_msgs_limit=max_messages + 1000)
        await nc.flush(timeout=5)
        before, error = await asyncio.to_thread(_snapshot, monitor_url)
        if before is not None and not any(c.name == CLIENT_NAME for c in before.values()):
            before, error = None, f"{monitor_url} does not list this connection (the monitoring of another server?)"
        started = time.monotonic()
        try:
            await asyncio.wait_for(listener.full.wait(), timeout=seconds)
            stopped_by = "messages"
        except TimeoutError:
            stopped_by = "time"
        elapsed = time.monotonic() - started
        after, _ = await asyncio.to_thread(_snapshot, monitor_url) if before is not None else (None, None)
    finally:
        await nc.close()
    monitor = Monitor(str(monitor_url), elapsed, before, after) if before is not None and after is not None else None
    return NatsSeen(listener.subjects, elapsed, stopped_by, monitor, error)


class NatsUnreachable(OSError):
    """No NATS server answered within the connect timeout."""


async def connect(options: dict[str, Any], timeout: float = CONNECT_TIMEOUT) -> Any:
    """One connection without reconnects; nats-py retries an unreachable server forever, so the attempt is
    bounded here and its last error reported."""
    errors: list[BaseException] = []

    async def on_error(exc: BaseException) -> None:
        errors.append(exc)

    try:
        return await asyncio.wait_for(nats.connect(**options, name=CLIENT_NAME, allow_reconnect=False,
                                                   max_reconnect_attempts=0, connect_timeout=timeout,
                                                   error_cb=on_error), timeout)
    except TimeoutError:
        raise NatsUnreachable(str(errors[-1]) if errors else f"no answer within {timeout:g} s") from None


def _snapshot(monitor_url: str | None) -> tuple[dict[int, Connection] | None, str | None]:
    """``/connz?subs=detail`` as connections by cid; (None, reason) when the endpoint does not answer."""
    if not monitor_url:
        return None, "no monitoring URL"
    url = monitor_url.rstrip("/") + "/connz?subs=detail&limit=4096"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            data = json.loads(response.read())
    except (OSError, ValueError) as exc:
        return None, f"{monitor_url}: {getattr(exc, 'reason', exc)}"
    return {c["cid"]: _connection(c) for c in data.get("connections") or []}, None


def _connection(raw: dict[str, Any]) -> Connection:
    subs = {s.get("subject", ""): int(s.get("msgs", 0)) for s in raw.get("subscriptions_list_detail") or []}
    return Connection(cid=int(raw.get("cid", 0)), name=str(raw.get("name", "")), port=int(raw.get("port", 0)),
                      in_msgs=int(raw.get("in_msgs", 0)), subscriptions=subs)
