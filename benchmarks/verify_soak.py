"""Benchmark of verify-soak: a 60-minute and a 24-hour verdict, all criteria, against a local Prometheus.

Builds deterministic passing histories, backfills them with promtool into a real
Prometheus on a free port, then times ``verify-soak`` (with the evidence bundle)
end to end. Prints one JSON object; exits 1 when a bar is missed
(60 min < 2 s, 24 h < 10 s).

    PYTHONPATH=src python benchmarks/verify_soak.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from soakwatch.stack import find_binary, prometheus
from soakwatch.testing.soak_history import LEAD_IN, History, build
from soakwatch.verify.cli import main as verify

START = 1767225600  # 2026-01-01T00:00:00Z
WINDOWS = {"60m": (3600, 2.0), "24h": (86400, 10.0)}


def _tsdb(workdir: Path) -> dict[str, float]:
    history, ends = History(), {}
    for index, (name, (seconds, _)) in enumerate(WINDOWS.items()):
        start = START + index * 2 * 86400
        build(start, window_seconds=seconds, history=history)
        ends[name] = start + LEAD_IN + seconds
    source = workdir / "history.om"
    source.write_text(history.openmetrics())
    subprocess.run([find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                    str(workdir / "tsdb")], check=True, capture_output=True, timeout=600)
    return ends


def _time_verdict(url: str, name: str, end: float, out: Path) -> tuple[float, int]:
    argv = ["--prometheus-url", url, "--since", name.replace("24h", "1d"), "--until", str(end),
            "--format", "json", "--out", str(out)]
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = verify(argv)
    elapsed = time.perf_counter() - began
    if code != 0:
        raise SystemExit(f"verify-soak returned {code} on the passing {name} history:\n{printed.getvalue()[-2000:]}")
    return elapsed, len(json.loads((out / "queries.json").read_text())["queries"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as tmp:
        workdir = Path(tmp)
        ends = _tsdb(workdir)
        config = workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 15s\n")
        report: dict[str, object] = {"repeats": args.repeats}
        ok = True
        with prometheus(workdir, config, storage_dir=workdir / "tsdb",
                        extra_args=["--storage.tsdb.retention.time=100y"]) as server:
            for name, (_, bar) in WINDOWS.items():
                runs = [_time_verdict(server.url, name, ends[name], workdir / f"out-{name}-{i}")
                        for i in range(args.repeats)]
                seconds = [s for s, _ in runs]
                report[f"verdict_{name}_seconds"] = {"min": round(min(seconds), 3),
                                                     "median": round(statistics.median(seconds), 3),
                                                     "max": round(max(seconds), 3), "bar": bar}
                report[f"queries_{name}"] = runs[0][1]
                ok = ok and max(seconds) < bar
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
