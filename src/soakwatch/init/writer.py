"""The proposal as a commented YAML config in the soak exporter's schema (``soakwatch export --config``)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from soakwatch.init.proposal import Proposal
from soakwatch.init.subjects import Stream
from soakwatch.natsconn import redact_url

HEADER = """\
# Soak exporter config proposed by `soakwatch init` on {when} from what ran on this host.
# Every name and pattern below is a proposal: check it and edit this file (it is yours now). Then:
#   soakwatch export --config {out} --check-config     # validates it
#   soakwatch up --exporter-config {out}               # the stack, with the probe set from `probe:`
# A section left out (or `enabled: false`) switches its collector off; see examples/soak.yaml for every field.
# `fields:` maps a contract field to this pipeline's name for it; `values:` maps this pipeline's values to the
# contract's. Nothing in the pipeline needs to change for data it already publishes.
"""


def q(text: str) -> str:
    """A single-quoted YAML scalar (regexes keep their backslashes as they are)."""
    return "'" + str(text).replace("'", "''") + "'"


def flow(mapping: Mapping[str, object]) -> str:
    """``{a: b, c: {d: e}}`` with every string single-quoted."""
    parts = [f"{k}: {flow(v) if isinstance(v, Mapping) else q(str(v))}" for k, v in mapping.items()]
    return "{" + ", ".join(parts) + "}"


def render(p: Proposal, out: str, now: float | None = None) -> str:
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    parts = [HEADER.format(when=when, out=out).rstrip("\n")]
    for section in (_nats, _processes, _probe, _others, _health, _harvester, _signals, _exports, _sinks, _manifest):
        parts.append("\n".join(section(p)))
    return "\n\n".join(part for part in parts if part) + "\n"


def _nats(p: Proposal) -> list[str]:
    if not p.nats_url:
        return []
    lines = ["nats:", "  # credentials go in flags or the environment (NATS_USER/NATS_PASSWORD, NATS_TOKEN, ...)",
             f"  url: {q('${NATS_URL:-' + redact_url(p.nats_url) + '}')}"]
    if p.nats is not None:
        how = ("rates from the server's monitoring (/connz?subs=detail) where a subscriber receives the subject, "
               "else from listening") if p.nats.monitor else f"rates from listening ({p.nats.monitor_error})"
        lines.insert(1, f"  # listened on '>' for {p.nats.seconds:.1f} s (stopped by {p.nats.stopped_by}); {how}")
    return lines


def _processes(p: Proposal) -> list[str]:
    if not p.groups:
        return ["# processes: none of the pipeline's processes was found (connected to NATS or holding a file "
                "under --dir)"]
    lines = ["processes:", "  # groups of the processes connected to NATS or holding files under --dir, by executable "
             "and command line;", "  # `cmdline` is a regular expression (re.search on the space-joined command "
             "line); rename freely", "  match:"]
    for g in p.groups:
        lines.append(f"    # {len(g.procs)} process(es), pid {', '.join(str(x.pid) for x in g.procs)}: "
                     f"{g.leader.command[:100]}")
        if g.collides_with:
            lines.append(f"    # CHECK: also matches {'; '.join(g.collides_with)[:120]}")
        lines.append(f"    {g.name}: {{cmdline: {q(g.cmdline)}}}")
    return lines + _scope(p)


def _scope(p: Proposal) -> list[str]:
    s = p.scope
    if not (s.env or s.parent_pidfile):
        note = f"  #   parent_pid: {s.parent_pid}   # their common parent, this run only" if s.parent_pid else ""
        return ["  # scope: no run marker seen (a shared RUN variable or a parent's pidfile); set one if two runs "
                "share this host", *([note] if note else [])]
    lines = ["  scope:   # only processes of one run; every key set must hold"]
    if len(s.runs) > 1:
        lines.append(f"    # {len(s.runs)} runs seen ({', '.join(s.runs)[:80]}): scoped to the newest")
    if s.env:
        lines.append(f"    env: {q(f'{s.env[0]}={s.env[1]}')}   # set in every process; "
                     f"'{s.env[0]}=${{{s.env[0]}}}' follows each run")
    if s.parent_pidfile:
        lines.append(f"    parent_pidfile: {q(str(s.parent_pidfile))}   # holds their common parent's pid")
    return lines


def _rate(s: Stream) -> str:
    return f"{s.rate:,.1f} msgs/s ({s.rate_from}) over {len(s.subjects)} subject(s)"


def _probe(p: Proposal) -> list[str]:
    t = p.ticks
    if t is None:
        return ["# probe: no tick-like subject heard (JSON with an event time); set probe.subjects by hand"]
    lines = ["probe:", f"  # ticks: {_rate(t)}, fields {', '.join(t.keys[:8])}", f"  subjects: [{q(t.pattern)}]"]
    if t.header_ts:
        lines.append("  # event time from the Soak-Ts header (ns)")
    elif t.time:
        lines += [f"  ts_field: {t.time.name}", f"  ts_unit: {t.time.unit}   # judged by the field's "
                  f"{'name' if t.time.by == 'name' else 'values (their size against now)'}"]
    else:
        lines.append("  # no event time found in the ticks: latency and parse gaps cannot be measured")
    lines.append(f"  seq_field: {t.seq}   # rises by one per subject" if t.seq else "  # no sequence field found")
    return lines


def _others(p: Proposal) -> list[str]:
    """Subjects heard that fit no kind: named, so the user can see nothing was missed."""
    others = [s for s in p.streams if s.kind == "other"]
    if not others:
        return []
    heard = "; ".join(f"{s.pattern} {s.rate:,.1f} msgs/s" for s in others[:10])
    return [f"# also heard, not used (no event time, no contract shape): {heard}"]


def _mapping(shape_fields: Mapping[str, str], values: Mapping[str, Mapping[str, str]]) -> list[str]:
    lines = []
    if shape_fields:
        lines.append(f"  fields: {flow(shape_fields)}   # contract field: this pipeline's field")
    if values:
        lines.append(f"  values: {flow(values)}")
    return lines


def _health(p: Proposal) -> list[str]:
    source = p.health_source
    if source is None:
        return ["# health: no process found to check"]
    beats = p.stream("health")
    if source == "heartbeats" and beats:
        lines = ["health:", f"  # heartbeats: {_rate(beats)}", "  source: heartbeats",
                 f"  subject_prefix: {q(beats.prefix)}   # the process name is the last token",
                 f"  processes: [{', '.join(s.rsplit('.', 1)[-1] for s in beats.subjects)}]"]
        return lines + (_mapping(beats.shape.fields, beats.shape.values) if beats.shape else [])
    if source == "http":
        first = p.http[0]
        lines = ["health:", f"  # no heartbeats on NATS; HTTP health endpoints answer e.g. {first.body}",
                 "  source: http", f"  processes: [{', '.join(h.process for h in p.http)}]", "  interval: 10"]
        lines += _mapping(first.shape.fields, first.shape.values)
        lines.append("  http:")
        return lines + [f"    - {{process: {h.process}, url: {q(h.url)}}}" for h in p.http]
    return ["health:", "  # no heartbeats, no HTTP health endpoint: liveness only (a check per interval per process,",
            "  # healthy while it is up); heartbeats from soakwatch.instrument give real health", "  source: liveness",
            "  interval: 10"]


def _payload(p: Proposal, kind: str, source_other: str | None, other_lines: list[str]) -> list[str]:
    s = p.stream(kind)
    if s is not None:
        lines = [f"{kind}:", f"  # {_rate(s)}; fields {', '.join(s.keys[:8])}", "  source: nats",
                 f"  subject: {q(s.pattern)}"]
        return lines + (_mapping(s.shape.fields, s.shape.values) if s.shape else [])
    return other_lines if source_other else [f"# {kind}: none heard on NATS (see the coverage table)"]


def _harvester(p: Proposal) -> list[str]:
    manifest = ["harvester:", "  # no stats on NATS: the run manifest's harvester_metrics", "  source: manifest"]
    return _payload(p, "harvester", p.harvester_source, manifest)


def _signals(p: Proposal) -> list[str]:
    jsonl = ["signals:", "  # no signal subject on NATS: signals counted from the JSONL sink", "  source: jsonl"]
    return _payload(p, "signals", p.signals_source, jsonl)


def _exports(p: Proposal) -> list[str]:
    s = p.stream("exports")
    if s is None:
        return ["# exports: no export events heard on NATS (see the coverage table)"]
    return _payload(p, "exports", "nats", [])


def _idle_sinks(p: Proposal) -> list[str]:
    """Sink-like files that nobody wrote while init looked (an old run's) are named, not proposed."""
    if p.files is None:
        return []
    chosen = {p.jsonl.path if p.jsonl else None, p.sqlite.path if p.sqlite else None}
    paths = [f.path for f in p.files.jsonl] + [t.path for t in p.files.sqlite]
    idle = sorted({str(path) for path in paths if path not in chosen})
    return [f"# not written while init looked (not proposed): {', '.join(idle)[:200]}"] if idle else []


def _sinks(p: Proposal) -> list[str]:
    if not p.sinks:
        return ["# sinks: no signal sink being written (JSONL with ts/confirm/strong, or an SQLite table with those "
                "columns) under --dir", *_idle_sinks(p)]
    lines = ["sinks:", "  # the exporter reads ts, confirm and strong of each record; parity needs both sinks"]
    if p.jsonl:
        lines.append(f"  jsonl: {q(str(p.jsonl.path))}   # {len(p.jsonl.samples)} record(s) sampled")
    if p.sqlite:
        lines += [f"  sqlite: {q(str(p.sqlite.path))}",
                  f"  table: {p.sqlite.table}   # columns {', '.join(p.sqlite.columns)}"]
    return lines + ["  " + line for line in _idle_sinks(p)]


def _manifest(p: Proposal) -> list[str]:
    m = p.manifest
    if m is None:
        return ["# manifest: no run manifest (JSON with status/harvester_metrics/...) under --dir"]
    return ["manifest:", f"  # newest: {m.path} (sections {', '.join(m.sections)})", f"  path: {q(m.pattern)}"]
