"""The pipeline's OS processes: which ones (connected to NATS or holding files under --dir), not soakwatch's
own, the shell or init itself; their environment, parent and listening ports."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

_GONE: tuple[type[Exception], ...] = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "fish", "ksh", "tcsh", "csh", "tmux", "screen", "sudo", "su",
                    "login", "sshd", "init", "systemd", "timeout", "nohup", "env", "setsid", "xargs"})
# servers of the stack: never the pipeline
STACK_BINARIES = frozenset({"nats-server", "prometheus", "prometheus-alertmanager", "prometheus-pushgateway",
                            "alertmanager", "pushgateway", "victoria-metrics", "grafana", "otelcol"})
OWN_MARKERS = ("soakwatch", "nats-throughput-probe", "verify-soak")


@dataclass(frozen=True)
class Proc:
    """What init needs of one OS process."""

    pid: int
    ppid: int
    name: str
    cmdline: tuple[str, ...]
    create_time: float = 0.0
    environ: dict[str, str] | None = None
    listen_ports: tuple[int, ...] = ()
    open_files: tuple[str, ...] = ()
    why: tuple[str, ...] = field(default=(), compare=False)  # how it was found: "nats", "file"

    @property
    def command(self) -> str:
        return " ".join(self.cmdline)


def is_own_or_shell(proc: Proc) -> bool:
    """soakwatch's own processes (exporter, probe, stack servers) and shells are never the pipeline."""
    base = os.path.basename(proc.cmdline[0]) if proc.cmdline else proc.name
    if proc.name in SHELLS or base in SHELLS or base in STACK_BINARIES or proc.name in STACK_BINARIES:
        return True
    return any(marker in arg for arg in proc.cmdline[:4] for marker in OWN_MARKERS)


def ancestors(pid: int) -> set[int]:
    """``pid`` and every process above it (the shell, a test runner, the terminal)."""
    found = {pid}
    try:
        found |= {p.pid for p in psutil.Process(pid).parents()}
    except _GONE:
        return found
    return found


def _nats_clients(ports: set[int]) -> set[int]:
    """Pids with a TCP connection to one of the NATS client ``ports``."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        conns = []
    return {c.pid for c in conns if c.pid and c.raddr and c.raddr.port in ports
            and c.status == psutil.CONN_ESTABLISHED}


def _listening() -> dict[int, tuple[int, ...]]:
    out: dict[int, list[int]] = {}
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return {}
    for c in conns:
        if c.pid and c.status == psutil.CONN_LISTEN and c.laddr:
            out.setdefault(c.pid, []).append(c.laddr.port)
    return {pid: tuple(sorted(set(ports))) for pid, ports in out.items()}


def _files_under(proc: psutil.Process, dirs: Iterable[Path]) -> tuple[str, ...]:
    """The files ``proc`` holds open under ``dirs``."""
    try:
        paths = [f.path for f in proc.open_files()]
    except _GONE:
        return ()
    roots = [str(d.resolve()) + os.sep for d in dirs]
    return tuple(p for p in paths if any(p.startswith(root) for root in roots))


def scan(nats_ports: set[int], dirs: Iterable[Path], me: int | None = None) -> tuple[list[Proc], list[Proc]]:
    """(pipeline candidates, every other readable process); init, its ancestors, shells and soakwatch's own
    processes are left out of both."""
    skip = ancestors(os.getpid() if me is None else me)
    clients, listening, dirs = _nats_clients(nats_ports), _listening(), list(dirs)
    found: list[Proc] = []
    others: list[Proc] = []
    for ps in psutil.process_iter(["pid", "ppid", "name", "cmdline", "create_time"]):
        info = ps.info
        if info["pid"] in skip or not info["cmdline"]:
            continue
        held = _files_under(ps, dirs) if dirs else ()
        why = (("nats",) if info["pid"] in clients else ()) + (("file",) if held else ())
        proc = Proc(info["pid"], info["ppid"] or 0, info["name"] or "", tuple(info["cmdline"]),
                    info["create_time"] or 0.0, _environ(ps) if why else None, listening.get(info["pid"], ()), held,
                    why)
        if is_own_or_shell(proc):
            continue
        (found if why else others).append(proc)
    return found, others


def _environ(ps: psutil.Process) -> dict[str, str] | None:
    try:
        return dict(ps.environ())
    except _GONE:
        return None
