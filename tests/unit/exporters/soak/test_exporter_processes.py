"""Process collector logic with a fake process table and a fake clock: restarts, downtime, exit times."""

import json
import re

from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.soak.config import ProcessMatch
from soakwatch.exporters.soak.manifest import ManifestReader
from soakwatch.exporters.soak.processes import ProcessCollector
from soakwatch.exporters.soak.procscan import ScanResult, Snapshot, matches
from soakwatch.testing.samples import sample_values, value


class FakeTable:
    """The OS as the collector sees it: which instance runs per logical process, and the time."""

    def __init__(self):
        self.now = 1000.0
        self.running: dict[str, Snapshot] = {}

    def scan(self, matchers, scope=None):
        return ScanResult(found={name: snap for name, snap in self.running.items() if name in matchers})

    def alive(self, pid, create_time):
        return any(s.pid == pid and s.create_time == create_time for s in self.running.values())

    def clock(self):
        return self.now


def _snap(pid, created, cpu=1.0, rss=50_000_000):
    return Snapshot(pid=pid, create_time=created - 0.7, start_time=created, rss=rss, fds=12, threads=3, cpu=cpu)


def _collector(table, names=("signal",), manifest=None):
    matchers = {n: ProcessMatch(cmdline=re.compile(n)) for n in names}
    return ProcessCollector(matchers, manifest, scan=table.scan, alive=table.alive, clock=table.clock)


def test_nothing_before_first_sample_then_up_with_resources():
    table = FakeTable()
    col = _collector(table)
    assert sample_values(col) == {}
    table.running["signal"] = _snap(10, 990.0, cpu=2.5)
    col.sample()
    assert value(col, "soak_process_up", process="signal") == 1
    assert value(col, "soak_process_start_time_seconds", process="signal") == 990.0
    assert value(col, "soak_process_resident_memory_bytes", process="signal") == 50_000_000
    assert value(col, "soak_process_open_fds", process="signal") == 12
    assert value(col, "soak_process_threads", process="signal") == 3
    assert value(col, "soak_process_cpu_seconds_total", process="signal") == 2.5
    assert value(col, "soak_process_restarts_total", process="signal") == 0
    assert value(col, "soak_process_exit_time_seconds", process="signal") is None


def test_kill_and_restart_counts_downtime_from_exit_to_new_start():
    table = FakeTable()
    col = _collector(table)
    table.running["signal"] = _snap(10, 990.0, cpu=4.0)
    col.sample()
    table.now = 1001.0
    del table.running["signal"]
    col.check_liveness()
    assert value(col, "soak_process_up", process="signal") == 0
    assert value(col, "soak_process_exit_time_seconds", process="signal") == 1001.0
    assert value(col, "soak_process_resident_memory_bytes", process="signal") is None  # gone: no resources
    table.now = 1005.0
    table.running["signal"] = _snap(11, 1003.5, cpu=0.5)
    col.sample()
    assert value(col, "soak_process_up", process="signal") == 1
    assert value(col, "soak_process_restarts_total", process="signal") == 1
    assert value(col, "soak_process_restart_downtime_seconds", process="signal") == 2.5
    assert value(col, "soak_process_start_time_seconds", process="signal") == 1003.5
    assert value(col, "soak_process_cpu_seconds_total", process="signal") == 4.5  # never goes backwards


def test_instance_replaced_between_checks_exits_when_last_seen_alive():
    table = FakeTable()
    col = _collector(table)
    table.running["signal"] = _snap(10, 990.0)
    col.sample()
    table.now = 1000.5
    col.check_liveness()  # still alive at 1000.5
    table.now = 1004.0
    table.running["signal"] = _snap(12, 1002.0)
    col.sample()
    assert value(col, "soak_process_restarts_total", process="signal") == 1
    assert value(col, "soak_process_exit_time_seconds", process="signal") == 1000.5
    assert value(col, "soak_process_restart_downtime_seconds", process="signal") == 1.5


def test_never_seen_is_down_not_an_error_and_same_instance_is_no_restart():
    table = FakeTable()
    col = _collector(table, names=("signal", "broker"))
    table.running["signal"] = _snap(10, 990.0)
    col.sample()
    col.sample()
    assert value(col, "soak_process_up", process="broker") == 0
    assert value(col, "soak_process_restarts_total", process="broker") == 0
    assert value(col, "soak_process_start_time_seconds", process="broker") is None
    assert value(col, "soak_process_restarts_total", process="signal") == 0


def test_shutdown_order_from_exit_times():
    table = FakeTable()
    names = ("harvest", "signal", "broker", "report")
    col = _collector(table, names=names)
    for i, name in enumerate(names):
        table.running[name] = _snap(100 + i, 900.0 + i)
    col.sample()
    for name in ("report", "broker", "signal", "harvest"):
        table.now += 0.2
        del table.running[name]
        col.check_liveness()
    exits = {n: value(col, "soak_process_exit_time_seconds", process=n) for n in names}
    assert sorted(exits, key=exits.get) == ["report", "broker", "signal", "harvest"]


def test_manifest_restart_count_is_a_floor(tmp_path):
    path = tmp_path / "run_manifest.json"
    path.write_text(json.dumps({"status": {"processes": {"signal": {"restart_count": 2},
                                                          "report": {"restart_count": 1}}}}))
    manifest = ManifestReader(str(path), ErrorCounter())
    manifest.refresh()
    table = FakeTable()
    col = _collector(table, manifest=manifest)
    table.running["signal"] = _snap(10, 990.0)
    col.sample()
    assert value(col, "soak_process_restarts_total", process="signal") == 2
    assert value(col, "soak_process_restarts_total", process="report") == 1  # only in the manifest


def test_matches_needs_every_regex_that_is_set():
    both = ProcessMatch(name=re.compile("^python"), cmdline=re.compile(r"worker\s+signal"))
    assert matches(both, "python3", "python3 -m worker signal")
    assert not matches(both, "bash", "python3 -m worker signal")
    assert not matches(both, "python3", "python3 -m worker broker")
    assert matches(ProcessMatch(name=re.compile("nats")), "nats-server", "")


class CountingTable(FakeTable):
    def __init__(self):
        super().__init__()
        self.scans = self.resnaps = 0
        self.pid_list = [1, 2]

    def scan(self, matchers, scope=None):
        self.scans += 1
        return super().scan(matchers, scope)

    def pids(self):
        return list(self.pid_list)

    def resnapshot(self, pid, create_time):
        self.resnaps += 1
        return next((s for s in self.running.values() if (s.pid, s.create_time) == (pid, create_time)), None)


def _searching(table, names=("signal",)):
    matchers = {n: ProcessMatch(cmdline=re.compile(n)) for n in names}
    return ProcessCollector(matchers, scan=table.scan, alive=table.alive, clock=table.clock, pids=table.pids,
                            search_interval=1.0, settle=10.0, resnapshot=table.resnapshot)


def test_search_scans_a_missing_process_only_when_new_processes_appeared_once_a_second():
    table = CountingTable()
    col = _searching(table)
    col.sample()
    assert table.scans == 1
    table.now += 1.0
    col.check_liveness()  # missing, and the pid set is new to the collector
    assert table.scans == 2
    table.now += 5.0
    col.check_liveness()  # missing, but no new process since
    assert table.scans == 2
    col.sample()
    table.pid_list.append(3)
    table.now += 0.5
    col.check_liveness()  # a new process, but the last scan is only 0.5 s old
    assert table.scans == 3
    table.running["signal"] = _snap(3, table.now)
    table.now += 0.5
    col.check_liveness()
    assert table.scans == 4 and value(col, "soak_process_up", process="signal") == 1


def test_search_rereads_a_young_instance_every_second_until_it_settles():
    table = CountingTable()
    col = _searching(table)
    table.running["signal"] = _snap(10, table.now, rss=10_000_000)
    col.sample()
    table.running["signal"] = _snap(10, 1000.0, rss=30_000_000)  # same instance, memory grown
    table.now += 0.5
    col.check_liveness()
    assert table.resnaps == 0  # not yet a second
    table.now += 0.5
    col.check_liveness()
    assert (table.scans, table.resnaps) == (1, 1)  # that process only, no scan
    assert value(col, "soak_process_resident_memory_bytes", process="signal") == 30_000_000
    table.now = 1011.0  # 11 s old: settled, and nothing missing: back to the plain interval
    col.check_liveness()
    table.now += 1.0
    col.check_liveness()
    assert (table.scans, table.resnaps) == (1, 1)
