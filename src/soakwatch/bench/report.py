"""The bench report: one JSON object (parameters, min/median/p95 per figure, peaks, raw repeats) and a TTY table."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from soakwatch import __version__
from soakwatch.bench.config import BenchConfig
from soakwatch.bench.environment import environment
from soakwatch.bench.figures import PEAKS, figure
from soakwatch.bench.resources import client_peak_rss_mb
from soakwatch.bench.stats import SUMMARY_KEYS, summarize_runs


def build_report(
    config: BenchConfig, runs: Sequence[Mapping[str, float | None]], extra: Mapping[str, Any],
    context: Mapping[str, Any],
) -> dict[str, Any]:
    """Parameters first, then one ``{"min", "median", "p95"}`` (or null) per figure, then peaks and the repeats."""
    server_rss = [float(rss) for run in runs if (rss := run.get("server_rss_mb")) is not None]
    return {
        **config.parameters(),
        **context,
        **extra,
        "soakwatch_version": __version__,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        **summarize_runs(runs),
        "peak_rss_mb": client_peak_rss_mb(),
        "server_peak_rss_mb": max(server_rss, default=None),
        "runs": [dict(run) for run in runs],
    }


def figure_names(report: Mapping[str, Any]) -> list[str]:
    """Names of the figures in a report of its mode (per-repeat summaries and peaks), in report order."""
    return [name for name in report if figure(str(report.get("mode")), name) is not None]


def write_json(report: Mapping[str, Any], out: Path | None, stdout: TextIO) -> None:
    """The report as one JSON object to ``out`` or stdout."""
    text = json.dumps(report, indent=2) + "\n"
    if out is None:
        stdout.write(text)
        stdout.flush()
    else:
        out.write_text(text)


def render_table(report: Mapping[str, Any]) -> str:
    """A human table: one row per figure with min, median and p95 across repeats."""
    rows: list[tuple[str, ...]] = [("figure", *SUMMARY_KEYS)]
    for name in figure_names(report):
        value = report[name]
        if isinstance(value, dict):
            rows.append((name, *(_fmt(value[key]) for key in SUMMARY_KEYS)))
        elif name in PEAKS:
            rows.append((name, _fmt(value), "", ""))
        else:
            rows.append((name, "-", "-", "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    title = f"soakwatch bench {report['mode']}: {report['repeats']} repeats, seed {report['seed']}"
    lines = [title] + ["  ".join([row[0].ljust(widths[0]), *(c.rjust(widths[i + 1]) for i, c in enumerate(row[1:]))])
                       for row in rows]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}".rstrip("0").rstrip(".")
