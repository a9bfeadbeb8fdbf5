"""The runs (pipeline, run id) a store holds in a window, and the one scope a verdict judges.

Every soak series carries ``pipeline`` and ``run_id`` (target labels). Before judging, verify-soak asks the store
(``/api/v1/series``) which pairs have ``soak_*`` series in the window: without ``--pipeline``/``--run-id``/
``--selector`` and more than one pair it refuses (exit 2) and lists them; with a scope that matches nothing every
criterion is "no data". A run manifest's run id scopes the verdict when no scope flag is given and series of the
window carry ``run_id`` labels at all (none with its id: every criterion "no data", never another run's verdict).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from soakwatch.errors import ConfigError
from soakwatch.verify.promapi import PromClient, PrometheusError
from soakwatch.verify.scope import Matcher, Scope

# a run's own series; soak_verdict_* are verify-soak's live states (pushed with the watcher's run_id), not the run's
SOAK_SERIES = '{__name__=~"soak_.+",__name__!~"soak_verdict_.+"}'
LABELS = ("pipeline", "run_id")
NONE = "(none)"


@dataclass(frozen=True)
class Run:
    """One (pipeline, run id) pair of the store and how many soak series it has; "" where a label is absent."""

    pipeline: str
    run_id: str
    series: int

    @property
    def name(self) -> str:
        if not (self.pipeline or self.run_id):
            return NONE
        return f"pipeline {self.pipeline or NONE}, run_id {self.run_id or NONE}"

    @property
    def flags(self) -> str:
        """The flags that choose this run (a missing label: a selector that requires it empty)."""
        parts = [f"--pipeline {_shell(self.pipeline)}"] if self.pipeline else []
        parts += [f"--run-id {_shell(self.run_id)}"] if self.run_id else []
        empty = [f'{label}=""' for label, value in zip(LABELS, (self.pipeline, self.run_id), strict=True)
                 if not value]
        if empty:
            parts.append("--selector " + _shell("{" + ",".join(empty) + "}"))
        return " ".join(parts)


@dataclass(frozen=True)
class Target:
    """What a verdict is for: its scope, where it came from, and the runs the scope matched in the window."""

    scope: Scope
    origin: str  # "flags", "run manifest" or "whole store"
    runs: tuple[Run, ...]

    @property
    def matched(self) -> bool:
        return bool(self.runs)

    def label(self, name: str) -> str | None:
        """The one value of ``name`` (pipeline, run_id) the judged series carry, if they agree on one."""
        values = {getattr(run, name) for run in self.runs}
        if len(values) == 1:
            return values.pop() or None
        return self.scope.equal(name)

    def describe(self) -> dict[str, Any]:
        """For verdict.json and source_manifest.json."""
        return {"selector": self.scope.selector if self.scope else None, "origin": self.origin,
                "pipeline": self.label("pipeline"), "run_id": self.label("run_id"), "matched": self.matched,
                "runs": [dataclasses.asdict(run) for run in self.runs]}

    def headline(self) -> str:
        """The scope and the runs it matched, for the report header (after "scope")."""
        runs = ", ".join(run.name for run in self.runs)
        if self.scope:
            matched = runs or "nothing: the selector matched no series in the window"
            return f"{self.scope.selector} ({self.origin}): {matched}"
        return f"{self.origin}: {runs or 'no soak series in the window'}"


def found(client: PromClient, scope: Scope, start: float, end: float) -> tuple[Run, ...]:
    """The runs with soak series in ``[start, end]`` that ``scope`` selects, most series first.

    The series endpoint answers from the store's index, which VictoriaMetrics keeps per day: when it names any
    series, one count over the window's samples keeps only the runs that have samples in the window."""
    selector = scope.apply(SOAK_SERIES)
    if not client.series(selector, start, end):
        return ()
    query = f"count by ({', '.join(LABELS)}) (last_over_time({selector}[{max(1, math.ceil(end - start))}s]))"
    pairs = {tuple(item["metric"].get(label, "") for label in LABELS): int(float(item["value"][1]))
             for item in client.query(query, end).get("result", [])}
    return tuple(Run(pipeline, run_id, n) for (pipeline, run_id), n in
                 sorted(pairs.items(), key=lambda item: (-item[1], item[0])))


def resolve(client: PromClient, scope: Scope, manifest_run_id: str | None, start: float, end: float) -> Target:
    """The scope to judge: the flags', else the run manifest's run id (when series carry run ids), else the
    whole store when it holds one run at most; several runs and no scope: a ConfigError listing them."""
    target = _target(client, scope, manifest_run_id, start, end)
    if len(target.runs) > 1:  # whatever chose it, a verdict never mixes runs
        raise ConfigError("--pipeline/--run-id/--selector", refusal(target, seen(client, target.scope, start, end)))
    return target


def _target(client: PromClient, scope: Scope, manifest_run_id: str | None, start: float, end: float) -> Target:
    if scope:
        return Target(scope, "flags", found(client, scope, start, end))
    runs = found(client, Scope(), start, end)
    labelled = sorted({run.run_id for run in runs if run.run_id})
    if manifest_run_id and labelled:
        chosen = Scope((Matcher("run_id", "=", manifest_run_id),))
        mine = tuple(run for run in runs if run.run_id == manifest_run_id)
        origin = "run manifest" if mine else f"run manifest; the window's series have run_id {', '.join(labelled)}"
        return Target(chosen, origin, mine)
    return Target(Scope(), "whole store", runs)


def seen(client: PromClient, scope: Scope, start: float, end: float) -> dict[tuple[str, ...], tuple[float, float]]:
    """When each run's soak series were first and last seen in the window (to the subquery's step); empty when the
    store cannot say."""
    step = max(15, math.ceil((end - start) / 240))
    seen_at: dict[tuple[str, ...], list[float]] = {}
    present = f"count by ({', '.join(LABELS)}) (last_over_time({scope.apply(SOAK_SERIES)}[{step}s]))"
    for combine in ("min", "max"):
        query = f"{combine}_over_time(timestamp({present})[{max(step, math.ceil(end - start))}s:{step}s])"
        try:
            result = client.query(query, end).get("result", [])
        except PrometheusError:
            return {}
        for item in result:
            key = tuple(item["metric"].get(label, "") for label in LABELS)
            seen_at.setdefault(key, []).append(float(item["value"][1]))
    return {key: (min(times), max(times)) for key, times in seen_at.items()}


def refusal(target: Target, times: dict[tuple[str, ...], tuple[float, float]] | None = None) -> str:
    """Why ``target`` (several runs) cannot be judged, each run with the flags that choose it alone."""
    times = times or {}
    lines = [f"  {run.name}: {run.series} soak series{_seen(times.get((run.pipeline, run.run_id)))}; choose it "
             f"with {run.flags}" for run in target.runs]
    if not target.scope:
        return (f"is required: the store holds {len(target.runs)} runs in the window and a verdict judges one:\n"
                + "\n".join(lines))
    return (f"must choose one run: {target.scope.selector} ({target.origin}) matches {len(target.runs)} runs in the "
            "window and a verdict judges one:\n" + "\n".join(lines))


def _seen(times: tuple[float, float] | None) -> str:
    if times is None:
        return ""
    first, last = (datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for t in times)
    return f", seen {first} .. {last}"


def _shell(text: str) -> str:
    """``text`` quoted for a POSIX shell when it needs quoting."""
    if text and all(c.isalnum() or c in "-_.:/@+=" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"

