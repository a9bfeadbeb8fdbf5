"""The soak exporter: the collectors its config switches on, their polling loops and NATS subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import nats
from prometheus_client.registry import Collector, CollectorRegistry

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.info import ExporterInfoCollector
from soakwatch.exporters.soak.config import ExporterConfig
from soakwatch.exporters.soak.exports import ExportCollector
from soakwatch.exporters.soak.harvester import HarvesterCollector
from soakwatch.exporters.soak.health import HealthCollector
from soakwatch.exporters.soak.health_http import HttpHealthPoller
from soakwatch.exporters.soak.manifest import ManifestReader
from soakwatch.exporters.soak.nats_status import NatsStatus, error_reason
from soakwatch.exporters.soak.processes import ProcessCollector
from soakwatch.exporters.soak.signals import COLLECTOR as SIGNALS
from soakwatch.exporters.soak.signals import SignalCollector
from soakwatch.exporters.soak.sinks.collector import SinkCollector
from soakwatch.exporters.soak.sinks.jsonl_tail import READ_ERRORS, JsonlTail
from soakwatch.exporters.soak.source_info import SourceInfoCollector
from soakwatch.exporters.soak.statefile import Persistent, StateFile
from soakwatch.natsconn import redact_url

log = logging.getLogger("soakwatch.exporter")
Handler = Callable[[str, bytes], None]
STATE_SAVE_INTERVAL = 1.0  # seconds; the state file is written at most this often, and only on change


class SoakExporter:
    """Builds the enabled collectors; ``run()`` drives them until ``stop`` is set."""

    def __init__(self, config: ExporterConfig, errors: ErrorCounter | None = None) -> None:
        self.config = config
        self.errors = errors or ErrorCounter()
        self.manifest = ManifestReader(config.manifest.path, self.errors) if config.manifest else None
        self.processes = ProcessCollector(config.processes.match, self.manifest, config.processes.scope,
                                          self.errors) if config.processes else None
        self.health = HealthCollector(config.health, self.errors) if config.health else None
        self.http = [HttpHealthPoller(e, self.health, self.errors)
                     for e in (config.health.http if config.health else ())] if self.health else []
        self.harvester = (HarvesterCollector(self.errors, self.manifest, mapping=config.harvester.mapping)
                          if config.harvester else None)
        self.signals = SignalCollector(self.errors, config.signals.mapping) if config.signals else None
        self.signal_file = (JsonlTail(config.sinks.jsonl, self.errors, convert=dict, collector=SIGNALS)
                            if config.signals and config.signals.source == "jsonl" and config.sinks
                            and config.sinks.jsonl else None)
        if self.signal_file:
            self.errors.declare(SIGNALS, READ_ERRORS)
        self.exports = (ExportCollector(self.errors, self.manifest, backends=config.exports.backends,
                                        mapping=config.exports.mapping)
                        if config.exports else None)
        self.sinks = (SinkCollector(config.sinks, self.errors, mapping=config.signals.mapping if config.signals
                                    else None) if config.sinks else None)
        self.nats = NatsStatus()
        self.state = self._state_file()

    def _state_file(self) -> StateFile | None:
        """The state file, with every collector's totals restored from it before the first scrape."""
        if self.config.state_file is None:
            return None
        named = {"errors": self.errors, "health": self.health, "harvester": self.harvester,
                 "signals": None if self.signal_file else self.signals,  # the file is read again from its start
                 "exports": self.exports}
        parts: dict[str, Persistent] = {name: part for name, part in named.items() if part is not None}
        state = StateFile(self.config.state_file, self.config.run_id, parts, self.errors)
        state.load()
        return state

    def collectors(self) -> list[Collector]:
        parts = [self.processes, self.health, self.harvester, self.signals, self.exports, self.sinks]
        return [ExporterInfoCollector(), SourceInfoCollector(self.config), self.errors, self.nats,
                *(p for p in parts if p is not None)]

    def register(self, registry: CollectorRegistry) -> None:
        for collector in self.collectors():
            registry.register(collector)

    def subscriptions(self) -> list[tuple[str, Handler]]:
        subs: list[tuple[str, Handler]] = []
        if self.health and self.config.health and self.config.health.source == "heartbeats":
            subs += [(subject, self.health.handle) for subject in self.health.subjects()]
        for part, cfg in ((self.harvester, self.config.harvester), (self.signals, self.config.signals),
                          (self.exports, self.config.exports)):
            if part is not None and cfg is not None and cfg.source == "nats":
                subs.append((cfg.subject, part.handle))
        return subs

    def _loops(self) -> list[tuple[str, float, Callable[[], Any], bool]]:
        """(name, interval, function, run in a worker thread)."""
        c = self.config
        loops: list[tuple[str, float, Callable[[], Any], bool]] = []
        if self.manifest and c.manifest:
            loops.append(("manifest", c.manifest.interval, self.manifest.refresh, True))
        if self.processes and c.processes:
            loops.append(("processes", c.processes.interval, self.processes.sample, True))
            loops.append(("processes", c.processes.liveness_interval, self.processes.check_liveness, True))
        if self.health and c.health and c.health.source == "heartbeats":
            loops.append(("health", min(1.0, c.health.interval / 4), self._health_tick, False))
        if self.health and c.health and c.health.source == "liveness":
            loops.append(("health", c.health.interval, self._liveness_check, False))
        loops += [("health_http", p.endpoint.interval, p.poll, True) for p in self.http]
        if self.harvester and c.harvester and c.harvester.source == "manifest" and c.manifest:
            loops.append(("harvester", c.manifest.interval, self.harvester.poll_manifest, True))
        if self.sinks and c.sinks:
            loops.append(("sinks", c.sinks.interval, self.sinks.poll, True))
        if self.signal_file and c.sinks:
            loops.append((SIGNALS, c.sinks.interval, self._poll_signal_file, True))
        if self.state:
            loops.append(("state", STATE_SAVE_INTERVAL, self.state.save, True))
        return loops

    def _liveness_check(self) -> None:
        """``health.source: liveness``: one check per process from the processes collector's up state."""
        assert self.health is not None and self.processes is not None
        up = self.processes.up_states()
        if up is not None:  # no check before the first scan of the processes
            self.health.record_liveness(up)

    def _poll_signal_file(self) -> None:
        """``signals.source: jsonl``: every record completed in the JSONL sink since the last poll is a signal."""
        assert self.signal_file is not None and self.signals is not None
        for record in self.signal_file.poll():
            self.signals.count(record)

    def _health_tick(self) -> None:
        assert self.health is not None
        if self.nats.connected:
            self.health.tick()
        else:
            self.health.hold()

    async def run(self, stop: asyncio.Event, nats_options: dict[str, Any] | None = None) -> None:
        """Poll and subscribe until ``stop`` is set; nothing here raises on bad input or lost servers."""
        loops = self._loops()
        for name in {loop[0] for loop in loops}:
            self.errors.declare(name, ("internal",))
        tasks = [asyncio.create_task(self._every(*loop, stop)) for loop in loops]
        if nats_options is not None and self.subscriptions():
            self.errors.declare("nats", ("connect_failed", "authorization"))
            tasks.append(asyncio.create_task(self._nats(nats_options, stop)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _every(self, name: str, interval: float, fn: Callable[[], Any], threaded: bool,
                     stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(fn) if threaded else fn()
            except Exception as exc:  # a bug or an OS error must not end the loop
                self.errors.count(name, "internal", f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _nats(self, options: dict[str, Any], stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                nc = await nats.connect(**options, **self._nats_callbacks())
            except Exception as exc:
                reason = error_reason(exc)
                self.errors.count("nats", "connect_failed" if reason != "authorization" else reason,
                                  redact_url(str(exc)))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)
                continue
            try:
                for subject, handler in self.subscriptions():
                    await nc.subscribe(subject, cb=_callback(handler))
                self.nats.set_connected(True)
                await stop.wait()
            finally:
                self.nats.set_connected(False)
                await _close(nc)
            return

    def _nats_callbacks(self) -> dict[str, Any]:
        async def error_cb(exc: Exception) -> None:
            self.errors.count("nats", error_reason(exc), redact_url(str(exc)))

        async def disconnected_cb() -> None:
            self.nats.set_connected(False)

        async def reconnected_cb() -> None:
            self.nats.reconnected()

        return {"error_cb": error_cb, "disconnected_cb": disconnected_cb, "reconnected_cb": reconnected_cb,
                "connect_timeout": 2, "max_reconnect_attempts": -1, "reconnect_time_wait": 1,
                "allow_reconnect": True}

    def close(self) -> None:
        if self.sinks:
            self.sinks.close()
        if self.signal_file:
            self.signal_file.close()
        if self.state:
            self.state.save()


async def _close(nc: Any) -> None:
    """Drain when connected (bounded), else just close: a stop never waits for a lost server."""
    with contextlib.suppress(Exception):
        if nc.is_connected:
            await asyncio.wait_for(nc.drain(), 2.0)
    with contextlib.suppress(Exception):
        await nc.close()


def _callback(handler: Handler) -> Callable[[Any], Any]:
    async def on_message(msg: Any) -> None:
        handler(msg.subject, msg.data)

    return on_message
