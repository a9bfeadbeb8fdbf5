"""Process up/restarts/downtime/start and exit times and resources, sampled with psutil."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import psutil
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak import procscan
from soakwatch.exporters.soak.config import ProcessMatch
from soakwatch.exporters.soak.manifest import ManifestReader
from soakwatch.exporters.soak.procscan import ScanResult, Snapshot
from soakwatch.exporters.soak.procscope import ProcessScope

SEARCH_INTERVAL = 1.0  # while a logical process is not found, a new process is looked for this often
SETTLE_SECONDS = 10.0  # an instance this young is sampled every SEARCH_INTERVAL: its memory is still growing
Scan = Callable[[Mapping[str, ProcessMatch], ProcessScope | None], ScanResult]


@dataclass
class _State:
    instance: tuple[int, float] | None = None
    up: bool = False
    start_time: float | None = None
    exit_time: float | None = None
    restarts: int = 0
    downtime: float | None = None
    cpu_base: float = 0.0
    last: Snapshot | None = None
    ambiguous: bool = False  # several runs matched: nothing is exposed for it until one is left


class ProcessCollector(Collector):
    """A restart is a new (pid, create_time) for a logical process; its downtime is the new start time
    minus the exit time of the old instance. Exits are seen by a liveness check every
    ``liveness_interval`` (so exit times are late by at most that much); a process replaced between two
    checks counts its exit at the last time it was seen alive. A gone process is up=0, not an error.

    While a logical process is not found, a full scan also runs every ``search_interval`` when new
    processes appeared, so a start is seen within about a second; the resources of an instance younger
    than ``settle`` seconds are read that often too (that process only), so its memory while it starts up
    is never held for a whole
    ``interval`` (that would look like growth over a short window). A logical process that several runs
    match (no scope) is counted as ``ambiguous_match`` and not exposed at all: no run's data is shown as
    another's.

    Sample::

        soak_process_up{process="signal"} 1.0
        soak_process_restarts_total{process="signal"} 1.0
        soak_process_restart_downtime_seconds{process="signal"} 2.13
        soak_process_start_time_seconds{process="signal"} 1.7e+09
        soak_process_exit_time_seconds{process="signal"} 1.7e+09
        soak_process_resident_memory_bytes{process="signal"} 5.2e+07
        soak_process_open_fds{process="signal"} 14.0
        soak_process_threads{process="signal"} 3.0
        soak_process_cpu_seconds_total{process="signal"} 12.5
    """

    def __init__(
        self, matchers: Mapping[str, ProcessMatch], manifest: ManifestReader | None = None,
        scope: ProcessScope | None = None, errors: ErrorCounter | None = None, scan: Scan = procscan.scan,
        alive: Callable[[int, float], bool] = procscan.alive, clock: Callable[[], float] = time.time,
        pids: Callable[[], list[int]] = psutil.pids, search_interval: float = SEARCH_INTERVAL,
        settle: float = SETTLE_SECONDS, resnapshot: Callable[[int, float], Snapshot | None] = procscan.resnapshot,
    ) -> None:
        self._matchers, self._scope = dict(matchers), scope
        self._manifest, self._errors = manifest, errors or ErrorCounter()
        self._scan, self._alive, self._clock, self._pids = scan, alive, clock, pids
        self._resnapshot = resnapshot
        self._states = {name: _State() for name in matchers}
        self._last_alive = dict.fromkeys(matchers, 0.0)
        self._sampled = False
        self._search_interval, self._settle = search_interval, settle
        self._searched_at, self._known_pids = 0.0, frozenset[int]()
        self._lock = threading.Lock()
        self._sampling = threading.Lock()  # one scan at a time, applied in the order it was taken

    def sample(self) -> None:
        """Full scan: match processes, update identities, restarts and resources."""
        with self._sampling:
            self._searched_at = self._clock()
            result = self._scan(self._matchers, self._scope)
            now = self._clock()
            with self._lock:
                self._sampled = True
                for name, state in self._states.items():
                    self._apply(name, state, result, now)
        for reason, detail in result.problems:
            self._errors.count("processes", reason, detail)
        for name, detail in sorted(result.ambiguous.items()):
            self._errors.count("processes", "ambiguous_match", f"{name}: {detail}; set processes.scope")

    def _apply(self, name: str, state: _State, result: ScanResult, now: float) -> None:
        state.ambiguous = name in result.ambiguous
        snap = result.found.get(name)
        if state.ambiguous:
            return
        if snap is None:
            self._mark_exit(state, now)
        else:
            self._seen(name, state, snap, now)

    def search(self) -> None:
        """Every ``search_interval``: a full scan when a logical process is not found and new processes
        appeared, else fresh resources of the young instances; called with the liveness checks."""
        now = self._clock()
        if now - self._searched_at < self._search_interval:
            return
        with self._lock:
            missing = any(not s.up for s in self._states.values())
            young = {name: s.instance for name, s in self._states.items() if s.up and s.instance
                     and s.start_time is not None and now - s.start_time < self._settle}
        pids = frozenset(self._pids()) if missing else self._known_pids
        if pids != self._known_pids:
            self._known_pids = pids
            self.sample()
        elif young:
            self._searched_at = now
            self._refresh(young)

    def _refresh(self, instances: Mapping[str, tuple[int, float]]) -> None:
        for name, instance in instances.items():
            snap = self._resnapshot(*instance)
            with self._lock:
                state = self._states[name]
                if snap is not None and state.instance == instance:
                    state.last = snap

    def check_liveness(self) -> None:
        """Cheap check of the known live instances only, for exact-ish exit times; then ``search()``."""
        self._check_known()
        self.search()

    def _check_known(self) -> None:
        with self._lock:
            live = [(name, s.instance) for name, s in self._states.items() if s.up and s.instance]
        for name, (pid, create_time) in live:
            ok = self._alive(pid, create_time)
            now = self._clock()
            with self._lock:
                state = self._states[name]
                if state.instance != (pid, create_time):
                    continue
                if ok:
                    self._last_alive[name] = now
                else:
                    self._mark_exit(state, now)

    @staticmethod
    def _mark_exit(state: _State, now: float) -> None:
        if state.up:
            state.up, state.exit_time = False, now

    def _seen(self, name: str, state: _State, snap: Snapshot, now: float) -> None:
        identity = (snap.pid, snap.create_time)
        if state.instance is not None and state.instance != identity:
            if state.up:  # replaced between two checks: it was last seen alive then
                state.exit_time = self._last_alive[name]
            state.restarts += 1
            state.downtime = max(0.0, snap.start_time - (state.exit_time or snap.start_time))
            state.cpu_base += state.last.cpu if state.last else 0.0
        if state.instance != identity:
            state.start_time = snap.start_time
        state.instance, state.up, state.last = identity, True, snap
        self._last_alive[name] = now

    def up_states(self) -> dict[str, bool] | None:
        """Whether each logical process runs now (an ambiguous match is not up); None before the first scan."""
        with self._lock:
            if not self._sampled:
                return None
            return {name: s.up and not s.ambiguous for name, s in self._states.items()}

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        families = _families()
        manifest = self._manifest.restart_counts() if self._manifest else {}
        with self._lock:
            if self._sampled:
                for name, state in sorted(self._states.items()):
                    if not state.ambiguous:
                        _add(families, name, state, manifest.get(name, 0))
        for name in sorted(set(manifest) - set(self._states)):
            families["restarts"].add_metric([name], manifest[name])
        yield from families.values()


def _families() -> dict[str, CounterMetricFamily | GaugeMetricFamily]:
    def gauge(name: str, text: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, text, labels=["process"])

    return {
        "up": gauge("soak_process_up", "1 when an OS process of the logical process runs, else 0."),
        "restarts": CounterMetricFamily("soak_process_restarts", "Restarts of the logical process (new pid or "
                                        "start time; at least the run manifest's restart_count).",
                                        labels=["process"]),
        "downtime": gauge("soak_process_restart_downtime_seconds", "Downtime of the latest restart (0 until "
                          "the first restart)."),
        "start": gauge("soak_process_start_time_seconds", "Start time of the current or last instance."),
        "exit": gauge("soak_process_exit_time_seconds", "Time the latest instance was seen to exit."),
        "rss": gauge("soak_process_resident_memory_bytes", "Resident memory of the running instance."),
        "fds": gauge("soak_process_open_fds", "Open file descriptors of the running instance."),
        "threads": gauge("soak_process_threads", "Threads of the running instance."),
        "cpu": CounterMetricFamily("soak_process_cpu_seconds", "User and system CPU time, summed over "
                                   "every instance seen.", labels=["process"]),
    }


def _add(families: dict[str, CounterMetricFamily | GaugeMetricFamily], name: str, state: _State,
         manifest_restarts: int) -> None:
    labels = [name]
    families["up"].add_metric(labels, float(state.up))
    families["restarts"].add_metric(labels, max(state.restarts, manifest_restarts))
    downtime = state.downtime if state.downtime is not None or state.start_time is None else 0.0  # no restart yet
    optional = {"downtime": downtime, "start": state.start_time, "exit": state.exit_time}
    for key, value in optional.items():
        if value is not None:
            families[key].add_metric(labels, value)
    if state.last is not None:
        families["cpu"].add_metric(labels, state.cpu_base + state.last.cpu)
    if state.up and state.last is not None:
        families["rss"].add_metric(labels, state.last.rss)
        families["fds"].add_metric(labels, state.last.fds)
        families["threads"].add_metric(labels, state.last.threads)
