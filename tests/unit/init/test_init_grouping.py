"""Grouping of processes by executable and command line, their names and regexes, and the run scope."""

from __future__ import annotations

import re
from pathlib import Path

from soakwatch.init.grouping import group
from soakwatch.init.procs import Proc, is_own_or_shell
from soakwatch.init.scope import propose

PY = "/venv/bin/python3"


def _proc(pid: int, *args: str, ppid: int = 100, env: dict | None = None, start: float | None = None) -> Proc:
    return Proc(pid, ppid, "python3", (PY, *args), float(pid) if start is None else start, env)


def _pipeline(run: str = "r1", base: int = 1, ppid: int = 100) -> list[Proc]:
    env = {"ACME_RUN_ID": run, "HOME": "/root"}
    return [_proc(base + i, "-m", "altpipe", role, "--nats-url", "nats://127.0.0.1:4222", "--dir", f"/tmp/{run}",
                  ppid=ppid, env=env) for i, role in enumerate(("acme-ingest", "acme-scorer", "acme-gateway"))]


def test_groups_are_named_by_the_word_that_tells_them_apart() -> None:
    groups = group(_pipeline())
    assert [g.name for g in groups] == ["acme-gateway", "acme-ingest", "acme-scorer"]
    for g in groups:
        assert all(re.search(g.cmdline, p.command) for p in g.procs)
        assert not g.collides_with


def test_instances_and_runs_of_one_program_fall_in_one_group() -> None:
    procs = _pipeline("r1") + _pipeline("r2", base=10, ppid=200)
    groups = {g.name: g for g in group(procs)}
    assert set(groups) == {"acme-gateway", "acme-ingest", "acme-scorer"}
    assert [p.pid for p in groups["acme-ingest"].procs] == [1, 10]
    assert groups["acme-ingest"].leader.pid == 1


def test_native_binaries_and_scripts_are_named_by_program() -> None:
    procs = [Proc(1, 9, "ingestd", ("/opt/acme/bin/ingestd", "--port", "9000"), 1.0),
             _proc(2, "/opt/acme/score.py", "--fast"), Proc(3, 9, "node", ("node", "/srv/gw/server.js"), 3.0)]
    groups = {g.name: g for g in group(procs)}
    assert set(groups) == {"ingestd", "score", "server.js"}
    assert re.search(groups["score"].cmdline, "/usr/bin/python3 /opt/acme/score.py --fast")
    assert not re.search(groups["score"].cmdline, "/usr/bin/python3 /opt/acme/score.pyc")


def test_a_regex_that_also_matches_another_process_is_flagged() -> None:
    other = _proc(50, "-m", "tool", "acme-ingest-replay")
    clash = _proc(51, "/usr/bin/tail", "-f", "x", "acme-ingest")
    groups = {g.name: g for g in group(_pipeline(), others=[other, clash])}
    assert groups["acme-ingest"].collides_with == (clash.command,)


def test_own_processes_and_shells_are_not_the_pipeline() -> None:
    assert is_own_or_shell(Proc(1, 0, "bash", ("/bin/bash",)))
    assert is_own_or_shell(_proc(2, "-m", "soakwatch", "export", "--config", "x.yaml"))
    assert is_own_or_shell(Proc(3, 0, "nats-server", ("/usr/sbin/nats-server", "-p", "4222")))
    assert is_own_or_shell(Proc(4, 0, "nats-throughput-p", ("/venv/bin/nats-throughput-probe",)))
    assert not is_own_or_shell(_pipeline()[0])


def test_scope_env_marker_parent_and_pidfile(tmp_path: Path) -> None:
    pidfile = tmp_path / "acme.pid"
    scope = propose(group(_pipeline()), {pidfile: 100}, own_env={"HOME": "/root"}, excluded={1})
    assert scope.env == ("ACME_RUN_ID", "r1")
    assert scope.parent_pid == 100 and scope.parent_pidfile == pidfile


def test_scope_picks_the_newest_of_two_runs_and_its_parent() -> None:
    procs = _pipeline("old", base=1, ppid=100) + _pipeline("new", base=10, ppid=200)
    scope = propose(group(procs), {}, own_env={}, excluded=set())
    assert scope.env == ("ACME_RUN_ID", "new") and scope.runs == ("old", "new") and scope.parent_pid == 200


def test_no_scope_from_what_init_itself_inherited_or_from_the_shell_above_it() -> None:
    scope = propose(group(_pipeline()), {}, own_env={"ACME_RUN_ID": "r1"}, excluded={100})
    assert not scope
