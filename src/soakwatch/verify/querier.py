"""Window-aware PromQL execution that records every query and its raw result for the audit trail."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from soakwatch.verify.promapi import PromClient
from soakwatch.verify.scope import Scope
from soakwatch.verify.window import Window

Labels = dict[str, str]
Points = list[tuple[float, float]]
LOOKBACK = 300.0  # seconds before the window searched for a counter's base sample (Prometheus' default lookback)


@dataclass
class Series:
    """One plotted series: its labels and ``(t, value)`` points."""

    labels: Labels
    points: Points


@dataclass
class QueryLog:
    """Every query run, in order, with its parameters and raw ``data`` (``queries.json``)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["n"] = len(self.entries) + 1
            self.entries.append(entry)


class Querier:
    """Runs PromQL for one owner (a criterion ID) over one window; ``$window`` etc. are substituted and every
    selector carries the ``scope``'s matchers."""

    def __init__(self, client: PromClient, window: Window, log: QueryLog, owner: str,
                 scope: Scope | None = None) -> None:
        self.client = client
        self.scope = scope or Scope()
        self.window = window
        self.log = log
        self.owner = owner
        self._samples: dict[str, list[tuple[Labels, Points]]] = {}

    def render(self, expr: str) -> str:
        w = self.window
        return self.scope.apply(expr.replace("$window_seconds", f"{round(w.seconds)}")
                                .replace("$range", f"{round(w.seconds + LOOKBACK)}s")
                                .replace("$step", f"{int(w.step)}s").replace("$rate_window", w.rate_window)
                                .replace("$window", w.promql))

    def instant(self, expr: str) -> list[tuple[Labels, float]]:
        """``[(labels, value)]`` at the window's end."""
        query = self.render(expr)
        data = self._run("instant", query, {"time": self.window.end}, lambda: self.client.query(query, self.window.end))
        if data.get("resultType") == "scalar":
            return [({}, _num(data["result"][1]))]
        return [(dict(item["metric"]), _num(item["value"][1])) for item in data.get("result", [])]

    def samples(self, expr: str) -> list[tuple[Labels, Points]]:
        """Every raw sample of a range selector (``metric[$range]``) at the window's end, in time order; one
        query per expression and owner (answers are kept for the other checks of the same criterion)."""
        query = self.render(expr)
        if query not in self._samples:
            data = self._run("instant", query, {"time": self.window.end},
                             lambda: self.client.query(query, self.window.end))
            matrix = data.get("result", []) if data.get("resultType") == "matrix" else []
            self._samples[query] = [(dict(item["metric"]), sorted((float(t), _num(v)) for t, v in item["values"]))
                                    for item in matrix]
        return self._samples[query]

    def range(self, expr: str, step: float | None = None) -> list[tuple[Labels, list[tuple[float, float]]]]:
        """``[(labels, [(t, v), ...])]`` over the window at its step; with ``step``, at that step from one step
        after the window's start (each point then covers one step inside the window)."""
        query = self.render(expr)
        w = self.window
        start, every = (w.start, w.step) if step is None else (w.start + step, step)
        params = {"start": start, "end": w.end, "step": every}
        data = self._run("range", query, params, lambda: self.client.query_range(query, start, w.end, every))
        return [(dict(item["metric"]), [(float(t), _num(v)) for t, v in item.get("values", [])])
                for item in data.get("result", [])]

    def _run(self, kind: str, query: str, params: dict[str, float], call: Any) -> dict[str, Any]:
        began = time.perf_counter()
        entry: dict[str, Any] = {"owner": self.owner, "kind": kind, "query": query, **params}
        try:
            data = call()
        except Exception as exc:
            entry.update(status="error", error=str(exc), seconds=round(time.perf_counter() - began, 4))
            self.log.add(entry)
            raise
        entry.update(status="success", seconds=round(time.perf_counter() - began, 4), result=data)
        self.log.add(entry)
        return dict(data)


def _num(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def expected_points(window: Window) -> int:
    """Points a range query over ``window`` returns for a series present all the time."""
    return math.floor(window.seconds / window.step + 1e-9) + 1
