"""Latency percentiles of one repeat and min/median/p95 summaries across repeats."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

# figure suffix -> percentile of the latency samples
LATENCY_PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}
SUMMARY_KEYS = ("min", "median", "p95")


def latency_figures(samples_ns: Sequence[int] | np.ndarray, prefix: str = "") -> dict[str, float | None]:
    """``{prefix}latency_{p50,p95,p99,p99_9,max,mean,stddev}_ms`` of one repeat; None without samples."""
    names = [*LATENCY_PERCENTILES, "max", "mean", "stddev"]
    if len(samples_ns) == 0:
        return {f"{prefix}latency_{name}_ms": None for name in names}
    values = np.asarray(samples_ns, dtype=np.float64) / 1e6
    figures = np.percentile(values, list(LATENCY_PERCENTILES.values())).tolist()
    figures += [float(values.max()), float(values.mean()), float(values.std())]
    return {f"{prefix}latency_{name}_ms": round(value, 4) for name, value in zip(names, figures, strict=True)}


def summarize(values: Iterable[float | None]) -> dict[str, float] | None:
    """``{"min", "median", "p95"}`` of the measured values; None when no repeat measured it."""
    measured = [value for value in values if value is not None]
    if not measured:
        return None
    array = np.asarray(measured, dtype=np.float64)
    stats = (array.min(), np.median(array), np.percentile(array, 95))
    counts = all(isinstance(value, int) for value in measured)
    return {key: _tidy(float(value), counts) for key, value in zip(SUMMARY_KEYS, stats, strict=True)}


def _tidy(value: float, counts: bool) -> float:
    """Counts stay whole numbers where they are; everything else is rounded to 4 decimals."""
    return int(value) if counts and value.is_integer() else round(value, 4)


def summarize_runs(runs: Sequence[Mapping[str, float | None]]) -> dict[str, dict[str, float] | None]:
    """One summary per figure over every repeat, in the order the figures first appear."""
    names = list(dict.fromkeys(name for run in runs for name in run))
    return {name: summarize(run.get(name) for run in runs) for name in names}


def per_second(count: int, elapsed_ns: int) -> float | None:
    """``count`` per second over ``elapsed_ns``; None when nothing was timed."""
    if count <= 0 or elapsed_ns <= 0:
        return None
    return round(count * 1e9 / elapsed_ns, 2)
