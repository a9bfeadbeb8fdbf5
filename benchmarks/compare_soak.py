"""Benchmark of verify-soak compare: bundles of 60-minute runs, compared end to end with the comparison bundle.

Builds four noisy 60-minute histories (three baselines, one candidate whose broker leaks), backfills them into a
real Prometheus, writes an evidence bundle of each with verify-soak --out (series.json sampled every minute),
then times ``verify-soak compare`` on the bundles (one baseline, and three), including --out (JSON, Markdown,
HTML with plots, JUnit): in this process, and as a new process (``python -m soakwatch verify compare``, the
interpreter and imports included). Prints one JSON object; exits 1 when a median misses the bar (< 2 s).

    PYTHONPATH=src python benchmarks/compare_soak.py [--repeats 5]
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
from soakwatch.testing.soak_history import LEAD_IN, History, Variant, build
from soakwatch.verify.cli import main as verify

START = 1767225600  # 2026-01-01T00:00:00Z
SPACING = 3 * 3600
RUNS = {"b1": Variant(noise_seed=1), "b2": Variant(noise_seed=2), "b3": Variant(noise_seed=3),
        "candidate": Variant(noise_seed=4, growth={"broker": 40.0})}
BAR_SECONDS = 2.0


def _bundles(workdir: Path) -> dict[str, Path]:
    history = History()
    for index, variant in enumerate(RUNS.values()):
        build(START + index * SPACING, variant=variant, history=history)
    source = workdir / "history.om"
    source.write_text(history.openmetrics())
    subprocess.run([find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                    str(workdir / "tsdb")], check=True, capture_output=True, timeout=600)
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    bundles = {}
    with prometheus(workdir, config, storage_dir=workdir / "tsdb",
                    extra_args=("--storage.tsdb.retention.time=100y",)) as server:
        for index, name in enumerate(RUNS):
            until = START + index * SPACING + LEAD_IN + 3600
            bundles[name] = workdir / name
            with contextlib.redirect_stdout(io.StringIO()):
                verify(["--prometheus-url", server.url, "--until", str(until), "--out", str(bundles[name])])
    return bundles


def _time_compare(baselines: list[Path], candidate: Path, out: Path, cold: bool) -> tuple[float, int]:
    argv = ["compare", *(f"--baseline={b}" for b in baselines), "--candidate", str(candidate), "--out", str(out)]
    began = time.perf_counter()
    if cold:
        code = subprocess.run([sys.executable, "-m", "soakwatch", "verify", *argv], capture_output=True,
                              check=False, timeout=120).returncode
    else:
        with contextlib.redirect_stdout(io.StringIO()):
            code = verify(argv)
    return time.perf_counter() - began, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as tmp:
        bundles = _bundles(Path(tmp))
        result: dict[str, object] = {"bar_seconds": BAR_SECONDS}
        cases = {"1_baseline": [bundles["b1"]], "3_baselines": [bundles[b] for b in ("b1", "b2", "b3")]}
        medians = []
        for (name, baselines), cold in ((case, cold) for cold in (False, True) for case in cases.items()):
            runs = [_time_compare(baselines, bundles["candidate"], Path(tmp) / f"out-{name}", cold)
                    for _ in range(args.repeats)]
            medians.append(statistics.median(t for t, _ in runs))
            result[f"{name}_{'new_process' if cold else 'in_process'}"] = {
                "median_seconds": round(medians[-1], 3), "max_seconds": round(max(t for t, _ in runs), 3),
                "exit_code": runs[0][1]}
    print(json.dumps(result, indent=2))
    return 1 if max(medians) >= BAR_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
