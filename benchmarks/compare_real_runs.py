"""Benchmark of verify-soak compare on real demo runs: no false regression from noise, the faults found.

Starts one local stack (`soakwatch up` on free loopback ports, scrape every second) and runs the demo in it:
six clean runs, one with ``lag:ticks`` and one whose broker leaks (``leak:broker``), each ``--minutes`` long.
Then compares, on windows of the stack's Prometheus (the run's span after its warm-up, shutdown left out):
three clean pairs (one baseline each), three clean candidates against three clean baselines, and the lag and leak
candidates against three baselines and against one. Prints each verdict with its figures, then one JSON object;
exits 1 when a clean candidate regressed or a fault was not flagged (on tick latency p99 for the lag, on the
broker's RSS growth for the leak). The host's other load is the noise the judge must withstand.

    PYTHONPATH=src python benchmarks/compare_real_runs.py [--minutes 3] [--step 15s]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from soakwatch.testing.demo_runs import DemoStack, RunWindow, judgement

CLEAN = ("c1", "c2", "c3", "c4", "c5", "c6")
SHOWN_UNITS = {"p99": (0.001, "ms"), "broker rss_growth": (1024.0 * 1024.0, "MB/h")}


def _cases() -> list[tuple[str, list[str], str, str | None]]:
    """``(name, baselines, candidate, metric that must regress or None for a clean candidate)``."""
    pairs = [(f"clean pair {i + 1}", [CLEAN[2 * i]], CLEAN[2 * i + 1], None) for i in range(3)]
    pooled = [(f"3 baselines vs clean {c}", ["c1", "c2", "c3"], c, None) for c in ("c4", "c5", "c6")]
    faults = [(f"{kind} vs {len(bs)} baseline(s)", bs, kind, metric)
              for kind, metric in (("lag", "tick_latency_p99"), ("leak", "rss_growth"))
              for bs in (["c1", "c2", "c3"], ["c6"])]
    return pairs + pooled + faults


def _figures(document: dict[str, Any], metric: str, process: str | None) -> dict[str, Any]:
    j = judgement(document, metric, process)
    return {k: j[k] for k in ("result", "baseline", "candidate", "change", "p_value", "effect", "spread",
                              "n_baseline", "n_candidate")}


def _line(name: str, code: int, document: dict[str, Any], shown: dict[str, Any]) -> str:
    flagged = [m["metric"] + (f"{{{m['process']}}}" if m["process"] else "")
               for m in document["metrics"] if m["result"] == "regression"]
    parts = [f"{name}: {document['verdict']} (exit {code})", f"regressed: {', '.join(flagged) or '-'}"]
    for label, f in shown.items():
        scale, unit = SHOWN_UNITS[label]
        change = "from zero" if f["change"] is None and f["candidate"] else f"{(f['change'] or 0):+.1%}"
        p = "-" if f["p_value"] is None else f"{f['p_value']:.2g}"
        figures = "no data" if f["baseline"] is None or f["candidate"] is None else \
            f"{f['baseline'] / scale:.3g} -> {f['candidate'] / scale:.3g} {unit}"
        parts.append(f"{label} {figures} ({change}, p {p}, {f['result']})")
    return "; ".join(parts)


def _judge_all(stack: DemoStack, runs: dict[str, RunWindow], step: str, out: dict[str, Any]) -> list[str]:
    """Every case compared and printed, its figures in ``out``; the names of the cases that went wrong."""
    failures = []
    for name, baselines, candidate, must in _cases():
        code, doc = stack.compare([runs[b] for b in baselines], runs[candidate], step)
        shown = {"p99": _figures(doc, "tick_latency_p99", None),
                 "broker rss_growth": _figures(doc, "rss_growth", "broker")}
        print(_line(name, code, doc, shown), flush=True)
        flagged = [m["metric"] for m in doc["metrics"] if m["result"] == "regression"]
        ok = code == 0 if must is None else (code == 1 and must in flagged)
        if not ok:
            failures.append(name)
        out[name] = {"baselines": baselines, "candidate": candidate, "exit_code": code, "verdict": doc["verdict"],
                     "regressed": flagged, "ok": ok, **shown}
    return failures


def _rejudge(state: Path, step: str) -> int:
    saved = json.loads((state / "runs.json").read_text())
    stack = DemoStack(state)
    stack.ports = saved["ports"]
    runs = {r["name"]: RunWindow(**r) for r in saved["runs"]}
    results: dict[str, Any] = {"step": step, "cases": {}}
    results["failures"] = _judge_all(stack, runs, step, results["cases"])
    print(json.dumps(results, indent=2))
    return 1 if results["failures"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of each demo run")
    parser.add_argument("--step", default="15s", help="compare's sample step (at least 10 samples a run)")
    parser.add_argument("--lag", default="0.05", help="seconds of the lag:ticks fault (the fault's default)")
    parser.add_argument("--leak-mb", default="6", help="MB per minute of the leak:broker fault")
    parser.add_argument("--keep-up", metavar="DIR", type=Path,
                        help="use this state folder and leave the stack running (runs.json holds the windows)")
    parser.add_argument("--rejudge", metavar="DIR", type=Path,
                        help="only compare again the runs of a stack left running by --keep-up DIR")
    args = parser.parse_args()
    if args.rejudge is not None:
        return _rejudge(args.rejudge, args.step)
    span = f"0s+{args.minutes * 60:g}s"
    plan = {**{name: () for name in CLEAN}, "lag": (f"lag:ticks@{span}={args.lag}",),
            "leak": (f"leak:broker@{span}={args.leak_mb}",)}
    began = time.monotonic()
    results: dict[str, Any] = {"minutes": args.minutes, "step": args.step, "faults": plan, "cases": {}}
    with tempfile.TemporaryDirectory(prefix="compare-real-") as tmp:
        state = args.keep_up or Path(tmp) / "state"
        stack = DemoStack(state)
        stack.up()
        try:
            runs: dict[str, RunWindow] = {}
            for name, faults in plan.items():
                runs[name] = stack.run(name, args.minutes, *faults)
                (state / "runs.json").write_text(json.dumps({"ports": stack.ports,
                                                             "runs": [r.__dict__ for r in runs.values()]}))
            time.sleep(2.0)  # Prometheus has scraped past the last run's end
            failures = _judge_all(stack, runs, args.step, results["cases"])
        finally:
            if args.keep_up is None:
                stack.down()
    results["failures"] = failures
    results["wall_seconds"] = round(time.monotonic() - began, 1)
    print(json.dumps(results, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
