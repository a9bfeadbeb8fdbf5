"""`soakwatch init` against the alt pipeline running for real on a real nats-server: the config it writes is
accepted by the exporter unchanged, the coverage table names exactly the criteria without data, nothing is
published and nothing is written outside --out; against nothing running it exits 1."""

from __future__ import annotations

import asyncio
import glob
import hashlib
import json
import re
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import nats
import psutil
from altpipe_support import ENV, altpipe, init_argv

from soakwatch.exporters.soak.config import load_config
from soakwatch.stack import Server, free_port, nats_server

ALT_PROCESSES = {"acme-ingest", "acme-scorer", "acme-gateway"}


def _tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: (size, mtime_ns, sha256)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, _sha(p))
            for p in sorted(root.rglob("*")) if p.is_file()}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _static_dir(root: Path) -> Path:
    """A folder init reads but nobody writes: an SQLite signal sink in WAL mode and a stray JSONL."""
    root.mkdir()
    db = sqlite3.connect(root / "old.sqlite")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE signals (id INTEGER PRIMARY KEY, ts REAL, confirm INTEGER, strong INTEGER)")
    db.execute("INSERT INTO signals (ts, confirm, strong) VALUES (1.0, 1, 0)")
    db.commit()
    db.close()
    (root / "notes.jsonl").write_text('{"a": 1}\n')
    return root


async def _listen_all(url: str, seconds_box: dict) -> list[str]:
    """Subjects of every message on `>` until ``seconds_box['stop']`` is set."""
    nc = await nats.connect(url)
    seen: list[str] = []

    async def on_msg(msg):  # type: ignore[no-untyped-def]
        seen.append(msg.subject)

    await nc.subscribe(">", cb=on_msg)
    await nc.flush()
    seconds_box["ready"].set()
    await seconds_box["stop"].wait()
    await nc.close()
    return seen


def _run_init_watched(nats_server: Server, argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run init while a subscriber on `>` records every subject."""
    async def main() -> tuple[subprocess.CompletedProcess, list[str]]:
        box = {"ready": asyncio.Event(), "stop": asyncio.Event()}
        task = asyncio.create_task(_listen_all(nats_server.url, box))
        await asyncio.wait_for(box["ready"].wait(), 10)
        done = await asyncio.to_thread(subprocess.run, argv, env=ENV, cwd=cwd, capture_output=True, text=True,
                                       timeout=60)
        await asyncio.sleep(0.5)
        box["stop"].set()
        return done, await task
    return asyncio.run(main())


def _closed_init_connection(monitor: str) -> dict:
    with urllib.request.urlopen(f"{monitor}/connz?state=closed&limit=1000", timeout=5) as response:
        conns = json.loads(response.read())["connections"]
    return next(c for c in conns if c.get("name") == "soakwatch-init")


def _coverage_gaps(stdout: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+NO\s", stdout, re.MULTILINE)}


def test_init_writes_a_config_the_exporter_accepts(nats: Server, tmp_path: Path) -> None:
    pipe, static, cwd, cfg = tmp_path / "pipe", _static_dir(tmp_path / "static"), tmp_path / "cwd", tmp_path / "cfg"
    cwd.mkdir()
    cfg.mkdir()
    monitor = f"http://127.0.0.1:{nats.ports['monitor']}"
    out = cfg / "soak.yaml"
    with altpipe(nats.url, pipe, run_id="alt-1"):
        static_before = _tree(static)
        pipe_before = set(_tree(pipe))
        done, subjects = _run_init_watched(nats, init_argv(nats.url, monitor, [pipe, static], out), cwd)
        assert done.returncode == 0, done.stderr
        # monitoring of another server is noticed and not used for rates
        with nats_server(tmp_path / "other") as other:
            wrong = init_argv(nats.url, f"http://127.0.0.1:{other.ports['monitor']}", [pipe], tmp_path / "wrong.yaml")
            second = subprocess.run(wrong, env=ENV, cwd=cwd, capture_output=True, text=True, timeout=60)
        cmdlines = {p.pid: " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
                    if "altpipe acme-" in " ".join(p.info["cmdline"] or []) and str(pipe) in p.info["cmdline"]}
        pipe_after = set(_tree(pipe))
    # nothing published: the subscriber on `>` heard only the pipeline, and the server counted no message from init
    assert subjects and {s.split(".")[0] for s in subjects} == {"acme"}
    assert _closed_init_connection(monitor)["in_msgs"] == 0
    # nothing written outside --out
    assert _tree(static) == static_before
    assert pipe_after == pipe_before  # the pipeline appends to its files; no new file (no -shm, -journal)
    assert list(cwd.iterdir()) == [] and list(cfg.iterdir()) == [out]

    assert "msgs/s (monitoring)" in out.read_text()
    assert second.returncode == 0 and "does not list this connection" in (tmp_path / "wrong.yaml").read_text()
    assert "msgs/s (monitoring)" not in (tmp_path / "wrong.yaml").read_text()

    config = load_config(out, environ={})  # exactly as written
    assert set(config.processes.match) == ALT_PROCESSES  # type: ignore[union-attr]
    for name, match in config.processes.match.items():  # type: ignore[union-attr]
        hits = [c for c in cmdlines.values() if match.cmdline.search(c)]  # type: ignore[union-attr]
        assert len(hits) == 1 and f"altpipe {name} " in hits[0]
    assert config.processes.scope.env == ("ACME_RUN_ID", "alt-1")  # type: ignore[union-attr]
    assert config.processes.scope.parent_pidfile == str(pipe / "run" / "acme.pid")  # type: ignore[union-attr]
    assert config.probe.argv() == ["--subject", "acme.px.>", "--ts-field", "t_ms", "--ts-unit", "ms",  # type: ignore[union-attr]
                                   "--seq-field", "n"]
    assert config.health.source == "http" and set(config.health.processes) == ALT_PROCESSES  # type: ignore[union-attr]
    for endpoint in config.health.http:  # type: ignore[union-attr]
        assert config.health.mapping.apply({"state": "ok"})["status"] == "healthy"  # type: ignore[union-attr]
        assert endpoint.url.startswith("http://127.0.0.1:") and endpoint.url.endswith("/health")
    assert config.harvester.subject == "acme.ingest.stats"  # type: ignore[union-attr]
    assert config.harvester.mapping.fields["queue_dropped"] == "dropped"  # type: ignore[union-attr]
    assert config.signals.subject == "acme.score.>" and config.signals.source == "nats"  # type: ignore[union-attr]
    assert config.signals.mapping.fields["strong"] == "is_strong"  # type: ignore[union-attr]
    assert config.sinks.jsonl == pipe / "out" / "scores.jsonl" and config.sinks.sqlite is None  # type: ignore[union-attr]
    assert glob.glob(config.manifest.path) == [str(pipe / "manifests" / "run_manifest_alt-1.json")]  # type: ignore[union-attr]
    assert config.exports is None

    assert _coverage_gaps(done.stdout) == {"export_rate", "sink_parity"}
    assert "2 of 14 criteria without data" in done.stdout
    assert "inst.export_event(" in done.stdout


def test_init_against_nothing_running_exits_1(nats: Server, tmp_path: Path) -> None:
    out, empty = tmp_path / "soak.yaml", tmp_path / "empty"
    empty.mkdir()
    monitor = f"http://127.0.0.1:{nats.ports['monitor']}"
    done = subprocess.run(init_argv(nats.url, monitor, [empty], out), env=ENV, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nothing of a pipeline is running" in done.stderr
    assert not out.exists()
    # no NATS server at all
    url = f"nats://127.0.0.1:{free_port()}"
    done = subprocess.run(init_argv(url, None, [], out, "--listen-seconds", "1"), env=ENV, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "NATS not reachable at" in done.stderr and not out.exists()


def test_init_refuses_to_overwrite_and_names_bad_flags(tmp_path: Path) -> None:
    out = tmp_path / "soak.yaml"
    out.write_text("mine\n")
    done = subprocess.run(init_argv("nats://127.0.0.1:1", None, [], out), env=ENV, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "invalid config: --out must not exist" in done.stderr
    assert out.read_text() == "mine\n"
    done = subprocess.run(init_argv("nats://127.0.0.1:1", None, [tmp_path / "nope"], tmp_path / "x.yaml"), env=ENV,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid config: --dir must be an existing folder" in done.stderr
