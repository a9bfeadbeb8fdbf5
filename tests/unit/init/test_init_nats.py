"""The NATS listen's bounds and the monitoring rates, with fake messages and snapshots."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from soakwatch.init.natsfind import CLIENT_NAME, SAMPLES_PER_SUBJECT, Connection, Monitor, NatsSeen, _Listener
from soakwatch.init.subjects import streams

NOW = 1_800_000_000.0


def _msg(subject: str, data: bytes, headers: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(subject=subject, data=data, headers=headers)


def test_the_listen_stops_at_max_messages_and_keeps_few_samples() -> None:
    async def feed() -> _Listener:
        listener = _Listener(max_messages=120)
        for i in range(200):
            await listener.on_message(_msg(f"px.{'AB'[i % 2]}", b'{"t_ms": %d, "n": %d}' % (NOW * 1000, i // 2)))
        await listener.on_message(_msg("_INBOX.x", b"{}"))
        return listener
    listener = asyncio.run(feed())
    assert listener.full.is_set() and listener.total == 120
    assert sum(s.messages for s in listener.subjects.values()) == 120 and "_INBOX.x" not in listener.subjects
    assert all(len(s.samples) == SAMPLES_PER_SUBJECT for s in listener.subjects.values())


def test_not_json_and_the_soak_ts_header_are_counted() -> None:
    async def feed() -> _Listener:
        listener = _Listener(max_messages=10)
        await listener.on_message(_msg("a", b"not json"))
        await listener.on_message(_msg("a", b"[1]", {"Soak-Ts": "1"}))
        return listener
    seen = asyncio.run(feed()).subjects["a"]
    assert (seen.messages, seen.not_json, seen.header_ts, seen.samples) == (2, 2, 1, [])


def test_monitoring_rates_leave_out_init_itself() -> None:
    before = {1: Connection(1, "scorer", 5000, 0, {"px.>": 100}), 2: Connection(2, CLIENT_NAME, 5001, 0, {">": 0})}
    after = {1: Connection(1, "scorer", 5000, 0, {"px.>": 700}), 2: Connection(2, CLIENT_NAME, 5001, 0, {">": 900})}
    monitor = Monitor("http://x", 3.0, before, after)
    assert monitor.subscription_rates() == {"px.>": 200.0}


def test_streams_group_subjects_and_take_the_monitored_rate() -> None:
    async def feed() -> _Listener:
        listener = _Listener(max_messages=1000)
        for i in range(30):
            for sym in ("A", "B"):
                await listener.on_message(_msg(f"px.{sym}", b'{"px": 1.5, "t_ms": %d, "n": %d}' % (NOW * 1000, i)))
        await listener.on_message(_msg("app.stats", b'{"dropped": 0, "timeouts": 0, "reconnects": 0, "backlog": 2}'))
        return listener
    listener = asyncio.run(feed())
    monitor = Monitor("http://x", 2.0, {1: Connection(1, "s", 1, 0, {"px.>": 0})},
                      {1: Connection(1, "s", 1, 0, {"px.>": 62})})
    found = {s.kind: s for s in streams(NatsSeen(listener.subjects, 2.0, "time", monitor), NOW)}
    tick = found["tick"]
    assert (tick.pattern, tick.time.name, tick.time.unit, tick.seq) == ("px.>", "t_ms", "ms", "n")  # type: ignore[union-attr]
    assert (tick.rate, tick.rate_from) == (31.0, "monitoring")
    assert (found["harvester"].pattern, found["harvester"].rate, found["harvester"].rate_from) == (
        "app.stats", 0.5, "listening")
