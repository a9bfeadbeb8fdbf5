"""Which run a verdict judges: the flags' scope, the run manifest's run id, the one run, or a refusal."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.runs import Run, Target, refusal, resolve
from soakwatch.verify.scope import Scope, from_flags


class FakeStore:
    """Answers the series endpoint and the count query from a list of label sets."""

    def __init__(self, *label_sets: dict[str, str]) -> None:
        self.label_sets = list(label_sets)
        self.asked: list[str] = []

    def series(self, match: str, start: float, end: float) -> list[dict[str, str]]:
        self.asked.append(match)
        return [labels for labels in self.label_sets if _selects(match, labels)]

    def query(self, expr: str, at: float) -> dict[str, Any]:
        self.asked.append(expr)
        counts: dict[tuple[str, str], int] = {}
        for labels in self.label_sets:
            if _selects(expr, labels):
                key = (labels.get("pipeline", ""), labels.get("run_id", ""))
                counts[key] = counts.get(key, 0) + 1
        metric = [({k: v for k, v in zip(("pipeline", "run_id"), key, strict=True) if v}, n)
                  for key, n in counts.items()]
        value = (lambda n: str(at)) if "timestamp(" in expr else str  # when seen: the query's time
        return {"resultType": "vector", "result": [{"metric": m, "value": [at, value(n)]} for m, n in metric]}


def _selects(expr: str, labels: dict[str, str]) -> bool:
    """The ``label="value"`` matchers of ``expr`` on pipeline and run_id hold for ``labels``."""
    wanted = re.findall(r'(pipeline|run_id)="([^"]*)"', expr)
    return all(labels.get(label, "") == value for label, value in wanted)


A = {"__name__": "soak_up", "pipeline": "dev", "run_id": "r1"}
B = {"__name__": "soak_up", "pipeline": "nightly", "run_id": "r2"}
BARE = {"__name__": "soak_up"}


def test_several_runs_and_no_scope_are_refused_with_the_flags_to_choose() -> None:
    with pytest.raises(ConfigError) as info:
        resolve(FakeStore(A, A, B, BARE), Scope(), None, 0, 3600)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith("invalid config: --pipeline/--run-id/--selector is required: the store holds 3 runs")
    assert "pipeline dev, run_id r1: 2 soak series, seen 1970-01-01T01:00:00Z .. 1970-01-01T01:00:00Z; choose it " \
           "with --pipeline dev --run-id r1" in text
    assert "(none): 1 soak series, seen" in text and "choose it with --selector '{pipeline=\"\",run_id=\"\"}'" in text


def test_one_run_is_judged_as_the_whole_store_and_named() -> None:
    target = resolve(FakeStore(A, A), Scope(), None, 0, 3600)  # type: ignore[arg-type]
    assert (target.scope, target.origin, target.label("run_id"), target.label("pipeline")) == (
        Scope(), "whole store", "r1", "dev")


def test_the_flags_scope_wins_and_is_asked_with_its_matchers() -> None:
    store = FakeStore(A, B)
    target = resolve(store, from_flags(None, "r2", None), "r1", 0, 3600)  # type: ignore[arg-type]
    assert target.origin == "flags" and target.runs == (Run("nightly", "r2", 1),)
    soak = '__name__=~"soak_.+",__name__!~"soak_verdict_.+"'
    assert store.asked[0] == f'{{{soak},run_id="r2"}}'
    assert f'count by (pipeline, run_id) (last_over_time({{{soak},run_id="r2"}}[3600s]))' in store.asked


def test_the_run_manifest_scopes_only_when_its_run_id_is_on_series() -> None:
    assert resolve(FakeStore(A, B), Scope(), "r1", 0, 60).scope == from_flags(None, "r1", None)  # type: ignore
    target = resolve(FakeStore(A), Scope(), "other", 0, 60)  # type: ignore[arg-type]
    assert (target.scope, target.runs) == (from_flags(None, "other", None), ())  # no data, never r1's verdict
    assert target.origin == "run manifest; the window's series have run_id r1"
    assert resolve(FakeStore(BARE), Scope(), "r1", 0, 60).origin == "whole store"  # type: ignore[arg-type]


def test_a_scope_matching_nothing_says_so() -> None:
    target = Target(from_flags("x", None, None), "flags", ())
    assert not target.matched
    assert target.headline() == '{pipeline="x"} (flags): nothing: the selector matched no series in the window'
    assert Target(Scope(), "whole store", ()).headline() == "whole store: no soak series in the window"
    assert target.describe()["pipeline"] == "x"


def test_refusal_quotes_values_for_the_shell() -> None:
    target = Target(Scope(), "whole store", (Run("my pipe", "r1", 3), Run("", "r2", 1)))
    assert "--pipeline 'my pipe' --run-id r1" in refusal(target)
    assert "--run-id r2 --selector '{pipeline=\"\"}'" in refusal(target)


def test_every_report_format_names_the_scope() -> None:
    from datetime import UTC

    from soakwatch.verify.engine import Verdict
    from soakwatch.verify.formats import FORMATTERS
    from soakwatch.verify.window import Window

    verdict = Verdict(Window(0, 3600), "http://store", [], False)
    verdict.target = Target(from_flags("dev", "r1", None), "flags", (Run("dev", "r1", 85),))
    assert json.loads(FORMATTERS["json"](verdict, UTC))["scope"]["selector"] == '{pipeline="dev",run_id="r1"}'
    for name, render in FORMATTERS.items():
        if name == "json":
            continue
        assert '{pipeline="dev",run_id="r1"} (flags): pipeline dev, run_id r1' in render(verdict, UTC).replace(
            "&quot;", '"'), name


SAME_ID = {"__name__": "soak_up", "pipeline": "nightly", "run_id": "r1"}  # another pipeline, the same run id


def test_a_run_id_flag_matching_two_pipelines_is_refused_not_mixed() -> None:
    with pytest.raises(ConfigError) as info:
        resolve(FakeStore(A, SAME_ID), from_flags(None, "r1", None), None, 0, 3600)  # type: ignore[arg-type]
    text = str(info.value)
    assert 'must choose one run: {run_id="r1"} (flags) matches 2 runs in the window' in text
    assert "choose it with --pipeline dev --run-id r1" in text and "--pipeline nightly --run-id r1" in text


def test_a_run_manifest_id_shared_by_two_pipelines_is_refused_not_mixed() -> None:
    with pytest.raises(ConfigError, match=r'\{run_id="r1"\} \(run manifest\) matches 2 runs'):
        resolve(FakeStore(A, SAME_ID, B), Scope(), "r1", 0, 3600)  # type: ignore[arg-type]
    target = resolve(FakeStore(A, SAME_ID), from_flags("dev", "r1", None), "r1", 0, 3600)  # type: ignore[arg-type]
    assert target.runs == (Run("dev", "r1", 1),)
