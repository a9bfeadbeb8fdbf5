"""Named, scheduled faults of the demo: ``KIND:TARGET@START[+DURATION][=VALUE]``, parsed and validated."""

from __future__ import annotations

import re
from dataclasses import dataclass

from soakwatch.contract import PROCESSES
from soakwatch.errors import ConfigError


@dataclass(frozen=True)
class Kind:
    """One fault kind: the targets it accepts, whether it needs a duration, its value and what it trips."""

    targets: tuple[str, ...]
    duration: str  # "required", "optional" or "none"
    value: str  # "none", "optional" or "required"
    default: float | None
    trips: str
    help: str


KINDS: dict[str, Kind] = {
    "kill": Kind(PROCESSES, "optional", "none", None,
                 "SoakProcessRestarted; with +HOLD > 12 s restart_recovery (and SoakProcessDown after 30 s)",
                 "SIGKILL the process; the supervisor restarts it with backoff (after HOLD when given)"),
    "stall": Kind(("signals",), "required", "none", None, "SoakSignalsStalled -> no_critical_alerts",
                  "the signal process publishes no signal (it keeps its heartbeats)"),
    "corrupt": Kind(("ticks",), "required", "optional", 0.5, "SoakTickParseGapsHigh, parse_gaps",
                    "this share (0..1) of the ticks is sent as truncated JSON without the Soak-Ts header"),
    "rate": Kind(("ticks",), "required", "required", None, "SoakTickRateLow, tick_rate",
                 "publish ticks at VALUE per second instead of --rate"),
    "lag": Kind(("ticks",), "required", "optional", 0.05, "SoakTickLatencyHigh, tick_latency (a warning)",
                "every tick's event time is VALUE s (default 0.05) in the past: the probe measures that latency"),
    "drop": Kind(("harvester",), "optional", "none", None, "SoakHarvesterQueueDropped, harvester_slo",
                 "the harvester's consumer stops (default 3 s), so its bounded queue overflows and drops"),
    "timeout": Kind(("harvester",), "none", "optional", 1, "SoakHarvesterSubstreamTimeout, harvester_slo",
                    "the harvester detects VALUE substream timeouts"),
    "reconnect": Kind(("harvester",), "none", "optional", 4, "SoakHarvesterReconnectsHigh, harvester_slo",
                      "the harvester counts VALUE reconnects to its data source"),
    "slow": Kind(("sink-sqlite", "sink-jsonl"), "required", "optional", 0.2, "SoakSinkParityDrift, sink_parity",
                 "each write to that sink takes VALUE s more; its bounded queue overflows and drops"),
    "unhealthy": Kind(PROCESSES, "required", "none", None, "SoakProcessUnhealthy, health_green",
                      "the process reports status unhealthy in its heartbeats"),
    "leak": Kind(PROCESSES, "required", "optional", 30.0,
                 "memory_growth above 50 MB/h; verify-soak compare: rss and rss_growth of the process",
                 "the process allocates VALUE MB (default 30) more every minute and keeps it until it exits"),
    "fail": Kind(("export",), "required", "none", None, "SoakTimeseriesExportErrors, export_rate",
                 "the reporter's pushes go to an unreachable address and fail"),
}
DEFAULT_DROP_SECONDS = 3.0
_SPEC = re.compile(r"^(?P<kind>[a-z]+):(?P<target>[a-z-]+)@(?P<start>[^+=]+)(?:\+(?P<duration>[^=]+))?"
                   r"(?:=(?P<value>.+))?$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")
FORMAT = "KIND:TARGET@START[+DURATION][=VALUE] (START/DURATION like 90s, 2m, 1m30s or 50%)"


@dataclass(frozen=True)
class Fault:
    """A fault scheduled ``start`` seconds into the run, active for ``duration`` seconds (0: instant)."""

    spec: str
    kind: str
    target: str
    start: float
    duration: float
    value: float | None

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def role(self) -> str:
        """The demo process (or ``ticks``) that applies the fault."""
        if self.kind in ("kill", "unhealthy", "leak"):
            return self.target
        return {"signals": "signal", "ticks": "ticks", "harvester": "harvest", "export": "report"}.get(
            self.target, "broker")

    def as_dict(self) -> dict[str, object]:
        return {"spec": self.spec, "kind": self.kind, "target": self.target, "start_s": self.start,
                "duration_s": self.duration, "value": self.value, "trips": KINDS[self.kind].trips}


def parse_time(text: str, run_seconds: float, spec: str, what: str) -> float:
    """Seconds from ``90``, ``90s``, ``2m``, ``1m30s``, ``1h`` or ``50%`` (of the run)."""
    text = text.strip()
    if text.endswith("%"):
        try:
            share = float(text[:-1])
        except ValueError:
            raise _error(spec, f"{what} {text!r} is not a percentage") from None
        if not 0 <= share <= 100:
            raise _error(spec, f"{what} {text!r} must be between 0% and 100%")
        return run_seconds * share / 100.0
    match = _DURATION.match(text)
    if not text or match is None:
        raise _error(spec, f"{what} {text!r} must be a duration like 90s, 2m, 1m30s or a share like 50%")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_fault(spec: str, run_seconds: float) -> Fault:
    """One ``--fault`` spec; ConfigError naming the spec and the broken rule."""
    match = _SPEC.match(spec.strip())
    if match is None:
        raise _error(spec, f"must look like {FORMAT}")
    kind_name, target = match["kind"], match["target"]
    kind = KINDS.get(kind_name)
    if kind is None:
        raise _error(spec, f"kind {kind_name!r} is unknown (known: {', '.join(sorted(KINDS))})")
    if target not in kind.targets:
        raise _error(spec, f"target {target!r} is not one of {kind_name}'s targets ({', '.join(kind.targets)})")
    start = parse_time(match["start"], run_seconds, spec, "start")
    duration = _duration(match["duration"], kind, kind_name, run_seconds, spec)
    value = _value(match["value"], kind, kind_name, spec)
    if start >= run_seconds:
        raise _error(spec, f"starts at {start:g} s, not before the end of the {run_seconds:g} s run")
    return Fault(spec, kind_name, target, start, duration, value)


def _duration(text: str | None, kind: Kind, name: str, run_seconds: float, spec: str) -> float:
    if text is None:
        if kind.duration == "required":
            raise _error(spec, f"{name} needs a duration (+DURATION, e.g. +30s)")
        return DEFAULT_DROP_SECONDS if name == "drop" else 0.0
    if kind.duration == "none":
        raise _error(spec, f"{name} takes no duration")
    seconds = parse_time(text, run_seconds, spec, "duration")
    if seconds <= 0:
        raise _error(spec, f"duration {text!r} must be > 0")
    return seconds


def _value(text: str | None, kind: Kind, name: str, spec: str) -> float | None:
    if text is None:
        if kind.value == "required":
            raise _error(spec, f"{name} needs a value (=VALUE)")
        return kind.default
    if kind.value == "none":
        raise _error(spec, f"{name} takes no value")
    try:
        value = float(text)
    except ValueError:
        raise _error(spec, f"value {text!r} is not a number") from None
    if not value > 0 or (name == "corrupt" and value > 1):
        rule = "a share > 0 and <= 1" if name == "corrupt" else "> 0"
        raise _error(spec, f"value {text!r} must be {rule}")
    return value


def _error(spec: str, rule: str) -> ConfigError:
    return ConfigError(f"--fault {spec!r}", rule)


def parse_faults(specs: list[str], run_seconds: float) -> list[Fault]:
    """Every spec, in the order of their start times."""
    return sorted((parse_fault(spec, run_seconds) for spec in specs), key=lambda f: (f.start, f.spec))


def describe_kinds() -> str:
    """One line per kind, for --help."""
    return "\n".join(f"  {name}:{'|'.join(k.targets)}  {k.help}" for name, k in KINDS.items())
