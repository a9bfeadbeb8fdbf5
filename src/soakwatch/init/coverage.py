"""The coverage table: per criterion of verify-soak, whether it will have data and from which source, and for
each gap the one step that closes it (with the ``soakwatch.instrument`` lines to add where that is the step)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from soakwatch.contract import SHUTDOWN_ORDER
from soakwatch.init.proposal import Proposal
from soakwatch.verify.criteria import ORDER

SETUP = ["from soakwatch.instrument import Instrument", 'inst = Instrument(nc, process="<name>")  # nc: your nats-py '
         "connection"]


@dataclass(frozen=True)
class Row:
    criterion: str
    source: str | None  # None: no data
    step: str = ""  # the one step that closes the gap (or a caveat where there is data)
    lines: tuple[str, ...] = ()  # code to add for that step

    @property
    def has_data(self) -> bool:
        return self.source is not None


def _ticks(p: Proposal, needs_time: bool) -> tuple[str | None, str]:
    t = p.ticks
    if t is None:
        return None, ("publish the tick stream on NATS (any subject) and run init again, or name it in "
                      "probe.subjects")
    if needs_time and not (t.time or t.header_ts):
        return None, (f"put the event time in each tick on {t.pattern}: the header Soak-Ts (ns since epoch) or a "
                      "field such as ts_ms, then set probe.ts_field")
    when = "header Soak-Ts" if t.header_ts else (f"{t.time.name} ({t.time.unit})" if t.time else "no event time")
    return f"probe on {t.pattern}, event time {when}" + (f", sequence {t.seq}" if t.seq else ""), ""


def _tick_rate(p: Proposal) -> Row:
    return Row("tick_rate", *_ticks(p, False))


def _parse_gaps(p: Proposal) -> Row:
    return Row("parse_gaps", *_ticks(p, True))


def _connectivity(p: Proposal) -> Row:
    return Row("connectivity", *_ticks(p, False))


def _tick_latency(p: Proposal) -> Row:
    return Row("tick_latency", *_ticks(p, True))


def _health_green(p: Proposal) -> Row:
    source = p.health_source
    beat = (f"publish heartbeats from each process (every {10} s): in each process", (
        *SETUP, "asyncio.create_task(inst.heartbeat_forever())  # soak.health.<name>, status healthy"))
    if source == "heartbeats":
        return Row("health_green", f"heartbeats on {p.stream('health').prefix}.<process>")  # type: ignore[union-attr]
    if source == "http":
        return Row("health_green", "HTTP " + ", ".join(h.url for h in p.http))
    if source == "liveness":
        return Row("health_green", "liveness only (process up, no heartbeats)", beat[0], beat[1])
    return Row("health_green", None, "start the pipeline and run init again; then " + beat[0], beat[1])


def _alerts(p: Proposal) -> Row:
    if p.signals_source is None:
        return Row("no_critical_alerts", "the soak alerts in Prometheus",
                   "SoakSignalsStalled (critical) fires while no signals are counted: publish each signal",
                   (*SETUP, 'await inst.signal(subject="signal.<symbol>", confirm=True, strong=False, '
                            'consistency="ok")'))
    return Row("no_critical_alerts", "the soak alerts in Prometheus")


def _export_rate(p: Proposal) -> Row:
    source = p.exports_source
    if source == "nats":
        return Row("export_rate", f"export events on {p.stream('exports').pattern}")  # type: ignore[union-attr]
    if source == "manifest":
        return Row("export_rate", f"run manifest {p.manifest.pattern} (timeseries_export)")  # type: ignore[union-attr]
    return Row("export_rate", None, "publish one event per export attempt of the reporter", (
        *SETUP, 'await inst.export_event("prometheus", ok=True)  # ok=False, error=str(exc) when it failed'))


def _sink_parity(p: Proposal) -> Row:
    if p.parity:
        return Row("sink_parity", f"JSONL {p.jsonl.path} and SQLite {p.sqlite.path} "  # type: ignore[union-attr]
                                  f"table {p.sqlite.table}")  # type: ignore[union-attr]
    have = "JSONL" if p.jsonl else "SQLite" if p.sqlite else None
    if have is None:
        return Row("sink_parity", None, "write each signal to a JSONL file and an SQLite table (columns ts, "
                                        "confirm, strong) under a --dir folder, then run init again")
    other = "an SQLite table (columns ts, confirm, strong)" if have == "JSONL" else "a JSONL file (ts, confirm, strong)"
    return Row("sink_parity", None, f"only a {have} sink: write the same signals to {other} too and set "
                                    f"sinks.{'sqlite' if have == 'JSONL' else 'jsonl'}")


def _harvester(p: Proposal) -> Row:
    source = p.harvester_source
    if source == "nats":
        return Row("harvester_slo", f"harvester stats on {p.stream('harvester').pattern}")  # type: ignore[union-attr]
    if source == "manifest":
        return Row("harvester_slo", f"run manifest {p.manifest.pattern} (harvester_metrics)")  # type: ignore[union-attr]
    return Row("harvester_slo", None, "publish the harvester's cumulative counters every few seconds", (
        *SETUP, "await inst.harvester_stats(queue_dropped=dropped, substream_timeouts=timeouts, "
                "reconnect_count=reconnects, queue_depth=depth)"))


def _processes(criterion: str) -> Callable[[Proposal], Row]:
    def row(p: Proposal) -> Row:
        if not p.groups:
            return Row(criterion, None, "start the pipeline's processes and run init again")
        source = f"processes ({', '.join(g.name for g in p.groups)})"
        if criterion == "shutdown_order" and not {g.name for g in p.groups} <= set(SHUTDOWN_ORDER):
            return Row(criterion, source, "the order checked is " + " -> ".join(SHUTDOWN_ORDER) + ": processes "
                       "named otherwise pass only while the run does not stop inside the verified window")
        return Row(criterion, source)
    return row


def _run_duration(p: Proposal) -> Row:
    ticks, _ = _ticks(p, False)
    if ticks is None or not p.groups:
        return Row("run_duration", None, "needs both the tick stream and the processes: " + (
            "publish ticks on NATS" if ticks is None else "start the pipeline's processes") + ", then run init again")
    return Row("run_duration", "ticks and processes")


_ROWS: dict[str, Callable[[Proposal], Row]] = {
    "tick_rate": _tick_rate, "parse_gaps": _parse_gaps, "connectivity": _connectivity, "tick_latency": _tick_latency,
    "health_green": _health_green, "no_critical_alerts": _alerts, "export_rate": _export_rate,
    "sink_parity": _sink_parity, "harvester_slo": _harvester, "resources": _processes("resources"),
    "memory_growth": _processes("memory_growth"), "restart_recovery": _processes("restart_recovery"),
    "shutdown_order": _processes("shutdown_order"), "run_duration": _run_duration,
}


def rows(p: Proposal) -> list[Row]:
    """One row per criterion, in verify-soak's order."""
    return [_ROWS[cid](p) for cid in ORDER]


def render(table: list[Row]) -> str:
    """The table as text: criterion, data yes/no, source; then the steps for the gaps and the caveats."""
    width = max(len(r.criterion) for r in table)
    lines = [f"{'criterion'.ljust(width)}  data  source", f"{'-' * width}  ----  ------"]
    lines += [f"{r.criterion.ljust(width)}  {'yes' if r.has_data else 'NO '}   {r.source or '-'}" for r in table]
    gaps = [r for r in table if not r.has_data]
    lines += ["", f"{len(gaps)} of {len(table)} criteria without data" + (":" if gaps else ".")]
    for r in gaps:
        lines += _step(r)
    caveats = [r for r in table if r.has_data and r.step]
    if caveats:
        lines += ["", "to improve:"]
        for r in caveats:
            lines += _step(r)
    return "\n".join(lines)


def _step(r: Row) -> list[str]:
    return [f"  {r.criterion}: {r.step}", *(f"      {line}" for line in r.lines)]
