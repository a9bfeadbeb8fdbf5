"""Benchmark of verify-soak scoped to one run in a central store: 20 backfilled 60-minute runs, one judged.

Backfills (promtool) a store holding 20 runs of 60 minutes, each with its own ``run_id`` over four pipelines, in
one window (the worst case: every run's series overlap the judged window; ``--spread``: one after another; the
other runs fail tick_rate, the judged one passes, so a scope that leaks shows in the verdict), and a store holding
the judged run alone. Times ``verify-soak --run-id ID --out DIR`` on the first and ``verify-soak --out DIR`` on
the second, end to end with the evidence bundle, after one untimed warm-up verdict on each. Prints one JSON
object; exits 1 when the scoped verdict misses the bar (< 2 s) or does not pass.

    PYTHONPATH=src python benchmarks/verify_scoped.py [--runs 20] [--repeats 3] [--spread]
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
from soakwatch.testing.soak_history import LENGTH, History, build
from soakwatch.verify.cli import main as verify

START = 1767225600  # 2026-01-01T00:00:00Z
BAR = 2.0
PIPELINES = ("dev", "staging", "nightly", "perf")


def _store(workdir: Path, runs: int, judged: int, spread: bool) -> tuple[Path, float]:
    """A TSDB of ``runs`` runs (run ``judged`` passes, the others fail tick_rate), all in the judged run's window or
    (``spread``) one after another, the judged one in the middle; seconds it took."""
    began = time.perf_counter()
    passing, failing = build(START), build(START, "tick_rate")
    history = History()
    for index in range(runs):
        labels = {"pipeline": PIPELINES[index % len(PIPELINES)], "run_id": run_id(index)}
        if spread and index != judged:
            history.merge(build(START + (index - judged) * (LENGTH + 600), "tick_rate"), **labels)
        else:
            history.merge(passing if index == judged else failing, **labels)
    source, storage = workdir / "history.om", workdir / "tsdb"
    source.write_text(history.openmetrics())
    subprocess.run([find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                    str(storage)], check=True, capture_output=True, timeout=600)
    return storage, time.perf_counter() - began


def run_id(index: int) -> str:
    return f"2026-01-01T000000Z-{index:02d}"


def _time(workdir: Path, storage: Path, flags: list[str], repeats: int) -> list[float]:
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    seconds = []
    with prometheus(workdir, config, storage_dir=storage, extra_args=["--storage.tsdb.retention.time=100y"]) as server:
        for i in range(repeats + 1):  # the first is a warm-up (imports, the server's first reads), not timed
            argv = ["--prometheus-url", server.url, "--since", "60m", "--until", str(START + LENGTH),
                    "--format", "json", "--out", str(workdir / f"out-{i}"), *flags]
            began = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                code = verify(argv)
            seconds.append(time.perf_counter() - began)
            if code != 0:
                raise SystemExit(f"verify-soak {' '.join(flags)} returned {code}:\n{printed.getvalue()[-2000:]}")
    return seconds[1:]


def _summary(seconds: list[float]) -> dict[str, float]:
    return {"min": round(min(seconds), 3), "median": round(statistics.median(seconds), 3),
            "max": round(max(seconds), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs in the central store")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--spread", action="store_true",
                        help="the runs one after another (default: all in the judged run's window, the worst case)")
    args = parser.parse_args()
    judged = args.runs // 2
    report: dict[str, object] = {"runs_in_store": args.runs, "layout": "spread" if args.spread else "one window",
                                 "repeats": args.repeats}
    with tempfile.TemporaryDirectory(prefix="verify-scoped-") as tmp:
        central, alone = Path(tmp) / "central", Path(tmp) / "alone"
        central.mkdir()
        alone.mkdir()
        storage, built = _store(central, args.runs, judged, args.spread)
        single, _ = _store(alone, 1, 0, False)
        report["backfill_seconds"] = round(built, 1)
        baseline = _time(alone, single, [], args.repeats)
        scoped = _time(central, storage, ["--run-id", run_id(judged)], args.repeats)
    report["verdict_1_run_seconds"] = _summary(baseline)
    report["verdict_scoped_seconds"] = {**_summary(scoped), "bar": BAR}
    report["ratio_median"] = round(statistics.median(scoped) / statistics.median(baseline), 2)
    print(json.dumps(report))
    return 0 if max(scoped) < BAR else 1


if __name__ == "__main__":
    sys.exit(main())
