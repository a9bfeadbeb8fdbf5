"""``soakwatch parity``: compare the JSONL and SQLite signal sinks and write parity_diff.json."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from soakwatch.errors import ConfigError
from soakwatch.exporters.shared.errorlog import ErrorCounter
from soakwatch.exporters.shared.fieldmap import FieldMap
from soakwatch.exporters.soak.config import load_config
from soakwatch.exporters.soak.sinks.jsonl_tail import JsonlTail
from soakwatch.exporters.soak.sinks.parity import SinkCounts, Totals, aligned_end, compare
from soakwatch.exporters.soak.sinks.record import SinkRecord
from soakwatch.exporters.soak.sinks.sqlite_poll import SqlitePoller
from soakwatch.options import CommandParser, env_flag

ALIGNMENT = ("whole UTC seconds; start = --since, else the first record of either sink; end = the end of the "
             "last second both sinks reached (the earlier sink's last record), capped by --until")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(text: str, now: float | None = None) -> float:
    """Epoch seconds, an ISO 8601 time (UTC unless it says otherwise), or a duration ago (``60m``)."""
    now = time.time() if now is None else now
    if match := _DURATION.match(text.strip()):
        return now - float(match.group(1)) * _UNIT[match.group(2)]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not epoch seconds, ISO 8601 or a duration like 60m") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = CommandParser(prog=prog, description="Dual-sink parity of the signal sinks: total, "
                                     "confirm and strong_ratio differences over an aligned window.")
    env_flag(parser, "--config", env="SOAK_PARITY_CONFIG",
             help="the soak exporter's config (soak.yaml): its signals.fields/values name the sinks' fields and "
                  "values, its sinks section gives --jsonl, --sqlite and --table unless those are set")
    env_flag(parser, "--jsonl", env="SOAK_SINK_JSONL", help="the JSONL sink file")
    env_flag(parser, "--sqlite", env="SOAK_SINK_SQLITE", help="the SQLite sink database")
    env_flag(parser, "--table", env="SOAK_SINK_TABLE", help="SQLite table (default signals)")
    env_flag(parser, "--since", env="SOAK_PARITY_SINCE", type=parse_time,
             help="window start: epoch s, ISO 8601, or a duration ago (60m)")
    env_flag(parser, "--until", env="SOAK_PARITY_UNTIL", type=parse_time, help="window end (same forms)")
    env_flag(parser, "--out", env="SOAK_PARITY_OUT", default="parity_diff.json", help="where to write the JSON")
    env_flag(parser, "--threshold-pct", env="SOAK_PARITY_THRESHOLD_PCT", default=0.5, type=float,
             help="a difference at or above this percentage fails")
    return parser


def read_sinks(jsonl: Path, sqlite: Path, table: str, errors: ErrorCounter,
               mapping: FieldMap | None = None) -> dict[str, SinkCounts]:
    """Both sinks read completely through ``mapping`` (a last line without newline is not counted); a column
    the SQLite table lacks is a ConfigError naming it."""
    counts = {"jsonl": SinkCounts(), "sqlite": SinkCounts()}
    tail: JsonlTail[SinkRecord] = JsonlTail(jsonl, errors, mapping=mapping)
    counts["jsonl"].add(tail.poll())
    tail.close()
    poller = SqlitePoller(sqlite, errors, table, max_batches=1, mapping=mapping)
    while records := poller.poll():
        counts["sqlite"].add(records)
    poller.close()
    if poller.missing:
        raise ConfigError("--sqlite", f"must have the columns read: {poller.describe_missing()}")
    return counts


def window(counts: dict[str, SinkCounts], since: float | None, until: float | None) -> tuple[int | None, int | None]:
    firsts = [c.first_ts for c in counts.values() if c.first_ts is not None]
    start = math.floor(since) if since is not None else (math.floor(min(firsts)) if firsts else None)
    end = aligned_end(counts.values(), include_last_second=True)
    if until is not None:
        end = math.ceil(until) if end is None else min(end, math.ceil(until))
    return start, end


def report(counts: dict[str, SinkCounts], paths: dict[str, str], since: float | None, until: float | None,
           threshold_pct: float, errors: ErrorCounter) -> dict[str, Any]:
    """The parity_diff.json document for sinks already read."""
    start, end = window(counts, since, until)
    totals: dict[str, Totals] = {name: c.window(start, end) for name, c in counts.items()}
    diffs = compare(totals["jsonl"], totals["sqlite"])
    result: dict[str, Any] = {f"{field}_diff_pct": round(pct, 6) for field, pct in diffs.items()}
    result["threshold_pct"] = threshold_pct
    result["pass"] = all(pct < threshold_pct for pct in diffs.values())
    result["window"] = {"start": start, "end": end, "start_utc": _iso(start), "end_utc": _iso(end),
                        "since": since, "until": until, "alignment": ALIGNMENT}
    for name, c in counts.items():
        result[name] = {"path": paths[name], **totals[name].as_dict(), "records_read": c.totals.total,
                        "first_ts": c.first_ts, "last_ts": c.last_ts}
    result["input_errors"] = {reason: n for (_, reason), n in sorted(errors.snapshot().items())}
    return result


def parity_diff(jsonl: str | Path, sqlite: str | Path, since: float | None = None, until: float | None = None,
                table: str = "signals", threshold_pct: float = 0.5, mapping: FieldMap | None = None) -> dict[str, Any]:
    """Read both sinks (through the signals section's ``mapping``) and return the parity_diff.json document."""
    errors = ErrorCounter(log_every=float("inf"))
    counts = read_sinks(Path(jsonl), Path(sqlite), table, errors, mapping)
    return report(counts, {"jsonl": str(jsonl), "sqlite": str(sqlite)}, since, until, threshold_pct, errors)


def _iso(second: int | None) -> str | None:
    return None if second is None else datetime.fromtimestamp(second, UTC).isoformat().replace("+00:00", "Z")


def _from_config(args: argparse.Namespace) -> FieldMap | None:
    """``--config``: the signals mapping, and the sinks' paths and table where no flag gives them."""
    if not args.config:
        return None
    config = load_config(args.config)
    if config.sinks:
        args.jsonl = args.jsonl or (str(config.sinks.jsonl) if config.sinks.jsonl else None)
        args.sqlite = args.sqlite or (str(config.sinks.sqlite) if config.sinks.sqlite else None)
        args.table = args.table or config.sinks.table
    return config.signals.mapping if config.signals else None


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch parity") -> int:
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        mapping = _from_config(args)
    except (ConfigError, OSError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    for flag, value in (("--jsonl", args.jsonl), ("--sqlite", args.sqlite)):
        if not value:
            print(f"{prog}: invalid config: {flag} is required (see --help)", file=sys.stderr)
            return 2
        if not Path(value).is_file():
            print(f"{prog}: invalid config: {flag} must name an existing file, got {value!r}", file=sys.stderr)
            return 2
    try:
        result = parity_diff(args.jsonl, args.sqlite, args.since, args.until, args.table or "signals",
                             args.threshold_pct, mapping)
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: result[k] for k in ("total_diff_pct", "confirm_diff_pct", "strong_ratio_diff_pct",
                                               "pass")}, sort_keys=True))
    return 0 if result["pass"] else 1
