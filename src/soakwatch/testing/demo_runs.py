"""Real demo runs in one local stack, compared with verify-soak compare on windows of its Prometheus."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soakwatch.demo import cli as demo_cli
from soakwatch.demo import manifest
from soakwatch.demo.quickstart import SCRAPED_JOBS, wait_scraped
from soakwatch.exporters import soak as soak_exporter
from soakwatch.stack import cli as stack_cli
from soakwatch.stack import free_port
from soakwatch.stack.state import PORTS
from soakwatch.verify.cli import main as verify_main

REPO_ROOT = Path(__file__).resolve().parents[3]
# short intervals so a short run has a heartbeat, stats and an export in every few seconds
DEMO_ARGS = ("--heartbeat-interval=2", "--stats-interval=2", "--export-interval=10", "--rate=1000")


@dataclass(frozen=True)
class RunWindow:
    """One demo run's judged span: from the end of its warm-up for its ``--minutes`` (shutdown left out)."""

    name: str
    start: float
    end: float

    @property
    def since(self) -> str:
        return f"{round(self.end - self.start)}s"

    def segment(self, name: str, offset: float, seconds: float) -> RunWindow:
        """The part of this run from ``offset`` s for ``seconds`` (a run whose faults follow a schedule)."""
        return RunWindow(name, self.start + offset, self.start + offset + seconds)


class DemoStack:
    """`soakwatch up` on free loopback ports (scrape every second), demo runs in it, and comparisons."""

    def __init__(self, state_dir: Path, demo_args: tuple[str, ...] = DEMO_ARGS,
                 exporter_config: Path | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.exporter_config = exporter_config
        ports: set[int] = set()
        while len(ports) < len(PORTS):
            ports.add(free_port())
        self.ports = {port.key: number for port, number in zip(PORTS, sorted(ports), strict=True)}
        self.demo_args = demo_args

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    def up(self) -> None:
        flags = [item for port in PORTS for item in (port.flag, str(self.ports[port.key]))]
        if self.exporter_config is not None:
            flags += ["--exporter-config", str(self.exporter_config.resolve())]
        code = stack_cli.up(["--state-dir", str(self.state_dir), "--config-dir", str(REPO_ROOT),
                             "--scrape-interval", "1s", *flags])
        if code != 0:
            raise RuntimeError(f"soakwatch up exited {code}")
        wait_scraped(self.prometheus_url, SCRAPED_JOBS, time.monotonic() + 30.0)

    def down(self) -> None:
        stack_cli.down(["--state-dir", str(self.state_dir)])

    def run(self, name: str, minutes: float, *faults: str) -> RunWindow:
        """One demo run (a new process) with ``faults``; its window from the run manifest."""
        argv = [sys.executable, "-m", "soakwatch", "demo", "--minutes", f"{minutes:g}",
                "--state-dir", str(self.state_dir), "--run-id", name,
                "--nats-url", f"nats://127.0.0.1:{self.ports['nats']}",
                "--pushgateway-url", f"http://127.0.0.1:{self.ports['pushgateway']}", *self.demo_args,
                *(item for fault in faults for item in ("--fault", fault))]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "src"),
                                                                          os.environ.get("PYTHONPATH")]))}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=minutes * 60 + 180,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"demo {name} exited {done.returncode}: {done.stderr[-2000:]}")
        data = manifest.read(self.state_dir / demo_cli.DEMO_DIR / manifest.MANIFEST_NAME)
        start = float(data["window"]["start"])
        return RunWindow(name, start, start + minutes * 60.0)

    def compare(self, baselines: list[RunWindow], candidate: RunWindow, step: str,
                criteria: Path | None = None) -> tuple[int, dict[str, Any]]:
        """``verify-soak compare --format json`` of store windows: the exit code and the document."""
        if baselines and len({b.since for b in baselines}) > 1:
            raise ValueError("baselines of different lengths")
        argv = ["compare", "--prometheus-url", self.prometheus_url, "--step", step, "--format", "json",
                "--baseline-since", baselines[0].since,
                *(item for b in baselines for item in ("--baseline-until", f"{b.end:.3f}")),
                "--candidate-since", candidate.since, "--candidate-until", f"{candidate.end:.3f}"]
        if criteria is not None:
            argv += ["--criteria", str(criteria)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = verify_main(argv)
        return code, json.loads(out.getvalue())


def fast_exporter_config(path: Path, interval: float = 1.0) -> Path:
    """A copy of the demo's exporter config at ``path`` that samples the processes every ``interval`` s (5 s in
    the demo), so a compare step of a few seconds still has a new RSS and CPU value in every step."""
    text = (Path(soak_exporter.__file__).parent / "demo.yaml").read_text(encoding="utf-8")
    if "processes:\n  interval: 5\n" not in text:
        raise RuntimeError("demo.yaml has no 'processes: interval: 5' to change")
    path.write_text(text.replace("processes:\n  interval: 5\n", f"processes:\n  interval: {interval:g}\n"),
                    encoding="utf-8")
    return path


def judgement(document: dict[str, Any], metric: str, process: str | None = None) -> dict[str, Any]:
    """The JSON judgement of ``metric`` (and ``process``) in a comparison document."""
    return next(m for m in document["metrics"] if m["metric"] == metric and m["process"] == process)
