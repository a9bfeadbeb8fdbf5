"""Runs each discovery (NATS, processes, HTTP health, files) and decides the proposal."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats.errors

from soakwatch.init import files, grouping, httpfind, procs, scope, subjects
from soakwatch.init.natsfind import NatsSeen, listen
from soakwatch.init.proposal import Proposal, newest_manifest, signal_jsonl, signal_table
from soakwatch.natsconn import redact_url


def nats_ports(url: str) -> set[int]:
    """Client ports of the comma-separated NATS URLs (4222 where none is given)."""
    return {urlsplit(u.strip()).port or 4222 for u in url.split(",") if u.strip()}


def default_monitor_url(url: str) -> str:
    """The monitoring endpoint nats-server serves by default (``-m 8222``) on the first URL's host."""
    host = urlsplit(url.split(",")[0].strip()).hostname or "127.0.0.1"
    return f"http://{host}:8222"


def hear(options: dict[str, Any], seconds: float, max_messages: int, monitor_url: str | None,
         notes: list[str]) -> NatsSeen | None:
    """The bounded listen; None (and a note) when no NATS server answers."""
    try:
        return asyncio.run(listen(options, seconds, max_messages, monitor_url))
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        urls = ",".join(redact_url(u) for u in options.get("servers", []))
        notes.append(f"NATS not reachable at {urls} ({type(exc).__name__}: {exc or 'no answer'})")
        return None


def discover(options: dict[str, Any], nats_url: str, dirs: Sequence[Path], seconds: float, max_messages: int,
             monitor_url: str | None, own_env: dict[str, str] | None = None) -> Proposal:
    """Look at what runs now and decide the proposal (never publishes, never writes)."""
    notes: list[str] = []
    filed = files.scan(dirs) if dirs else files.FilesSeen()  # before the listen: a sink written meanwhile is live
    seen = hear(options, seconds, max_messages, monitor_url, notes)
    found, others = procs.scan(nats_ports(nats_url) if seen else set(), dirs)
    groups = grouping.group(found, others)
    live = files.live(filed, {f for p in found for f in p.open_files})
    excluded = procs.ancestors(os.getpid())
    proposal = Proposal(
        nats_url=nats_url if seen else None, groups=groups, nats=seen, files=filed, notes=notes,
        streams=subjects.streams(seen, time.time()) if seen else [], http=httpfind.find(groups),
        scope=scope.propose(groups, filed.pidfiles, dict(os.environ) if own_env is None else own_env, excluded),
        jsonl=signal_jsonl(filed.jsonl, live), sqlite=signal_table(filed.sqlite, live),
        manifest=newest_manifest(filed.manifests),
    )
    if filed.truncated:
        notes.append(f"stopped reading the --dir folders after {files.MAX_FILES} files")
    return proposal
