"""Formats of the probe's window lines and summary: json (one object per line), text and csv."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, TextIO

from soakwatch.exporters.probe.bar import describe
from soakwatch.exporters.probe.state import Report
from soakwatch.exporters.probe.ticks import PARSE_GAP_REASONS

FORMATS = ("text", "json", "csv")
_LATENCY_KEYS = ("p50", "p90", "p99", "mean", "min", "max")
CSV_COLUMNS = (
    "event", "window_seconds", "mps_window", *(f"{key}_ms" for key in _LATENCY_KEYS), "total", "messages",
    "parse_gaps", *PARSE_GAP_REASONS, "parse_gap_ratio", "sequence_gaps", "sequence_resets", "negative_latency",
    "dropped", "reconnects", "disconnected_seconds", "connected", "pass_bar",
)


def csv_row(report: Report) -> dict[str, Any]:
    """The report flattened to CSV_COLUMNS."""
    data = report.as_dict()
    row = {key: value for key, value in data.items() if key in CSV_COLUMNS}
    row.update({f"{key}_ms": data["latency_ms"][key] for key in _LATENCY_KEYS})
    row.update({reason: data["parse_gaps_by_reason"].get(reason, 0) for reason in PARSE_GAP_REASONS})
    row["pass_bar"] = "" if report.pass_bar is None else report.pass_bar["pass"]
    return row


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def text_line(report: Report) -> str:
    """One human line; the summary also says how the connection held."""
    data = report.as_dict()
    latency = data["latency_ms"]
    name = "window " if report.event == "probe_window" else "summary"
    line = (
        f"{name} {data['window_seconds']:8.2f}s {data['mps_window']:10.1f} msg/s  latency ms "
        + " ".join(f"{key} {_ms(latency[key])}" for key in _LATENCY_KEYS)
        + f"  total {data['total']}  parse_gaps {data['parse_gaps']}  seq_gaps {data['sequence_gaps']}"
        f"  seq_resets {data['sequence_resets']}"
        f"  skewed {data['negative_latency']}  dropped {data['dropped']}  reconnects {data['reconnects']}"
    )
    if report.event == "probe_summary":
        state = "connected" if report.connected else "NOT connected"
        line += f"\nconnection: {state} at the end; {data['reconnects']} reconnect(s), " \
                f"{data['disconnected_seconds']:.3f} s disconnected"
        if report.pass_bar is not None:
            line += "\n" + describe(report.pass_bar)
    return line


class ReportWriter:
    """Writes window lines and the summary to a stream in one format (csv: header first)."""

    def __init__(self, stream: TextIO, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        self.stream, self.fmt = stream, fmt
        self._csv: csv.DictWriter[str] | None = None

    def write(self, report: Report) -> None:
        if self.fmt == "json":
            self.stream.write(json.dumps(report.as_dict(), sort_keys=False) + "\n")
        elif self.fmt == "text":
            self.stream.write(text_line(report) + "\n")
        else:
            if self._csv is None:
                self._csv = csv.DictWriter(self.stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
                self._csv.writeheader()
            self._csv.writerow(csv_row(report))
        self.stream.flush()


def render(report: Report, fmt: str) -> str:
    """One report alone in ``fmt`` (csv: with its header), for ``--out``."""
    buffer = io.StringIO()
    ReportWriter(buffer, fmt).write(report)
    return buffer.getvalue()
