"""verify-soak on a real Prometheus holding two runs of one window (own pipeline and run_id labels): each scope gets
its own run's verdict and data, and no scope is refused."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from verify_support import BASE, backfill, start_prometheus

from soakwatch.errors import ConfigError
from soakwatch.stack import Server
from soakwatch.testing.soak_history import LEAD_IN, LENGTH, History, build
from soakwatch.verify.cli import build_parser, main
from soakwatch.verify.compare.cli import main as compare_main
from soakwatch.verify.criteria import ORDER
from soakwatch.verify.live.watch_cli import watch_soak
from soakwatch.verify.scope import from_flags

CLEAN = {"pipeline": "dev", "run_id": "r-clean"}
BROKEN = {"pipeline": "nightly", "run_id": "r-broken"}  # its tick rate is too low
WINDOW = ["--since", "60m", "--until", str(BASE + LENGTH)]


def _store(tmp: Path, *runs: tuple[str | None, dict[str, str]]) -> Iterator[Server]:
    history = History()
    for breaks, labels in runs:
        history.merge(build(BASE, breaks), **labels)
    with start_prometheus(tmp, backfill(history, tmp)) as server:
        yield server


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _store(tmp_path_factory.mktemp("two-runs"), (None, CLEAN), ("tick_rate", BROKEN))


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _store(tmp_path_factory.mktemp("clean-run"), (None, CLEAN))


def verdict(capsys: pytest.CaptureFixture[str], url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["--prometheus-url", url, *WINDOW, "--format", "json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out) if out else {}


def results(document: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["result"] for c in document["criteria"]}


def test_no_scope_and_two_runs_is_refused_listing_both(mixed: Server, capsys):
    code = main(["--prometheus-url", mixed.url, *WINDOW])
    err = capsys.readouterr().err
    assert code == 2
    assert "the store holds 2 runs in the window" in err
    assert "pipeline dev, run_id r-clean" in err and "choose it with --pipeline dev --run-id r-clean" in err
    assert "pipeline nightly, run_id r-broken" in err and "--pipeline nightly --run-id r-broken" in err
    assert err.count("seen 2026-01-01T00:05:00Z .. 2026-01-01T01:05:00Z") == 2


@pytest.mark.parametrize(("flags", "failing", "run"), [
    (["--run-id", "r-clean"], {}, CLEAN),
    (["--pipeline", "dev"], {}, CLEAN),
    (["--run-id", "r-broken"], {"tick_rate": "fail"}, BROKEN),
    (["--selector", '{pipeline=~"night.*", run_id!="r-clean"}'], {"tick_rate": "fail"}, BROKEN),
])
def test_each_scope_gets_its_own_runs_verdict(mixed: Server, capsys, flags, failing, run):
    code, document = verdict(capsys, mixed.url, *flags)
    assert {k: v for k, v in results(document).items() if v != "pass"} == failing
    assert code == (1 if failing else 0)
    scope = document["scope"]
    assert (scope["pipeline"], scope["run_id"], scope["matched"], scope["origin"]) == (
        run["pipeline"], run["run_id"], True, "flags")
    assert [(r["pipeline"], r["run_id"]) for r in scope["runs"]] == [(run["pipeline"], run["run_id"])]
    assert document["run_id"] == run["run_id"]


def test_a_scope_matching_nothing_is_no_data_never_a_pass(mixed: Server, capsys):
    code, document = verdict(capsys, mixed.url, "--run-id", "r-none")
    assert results(document) == dict.fromkeys(ORDER, "no data")
    assert code == 1 and document["scope"]["matched"] is False
    main(["--prometheus-url", mixed.url, *WINDOW, "--run-id", "r-none"])
    assert "the selector matched no series in the window" in capsys.readouterr().out


def test_the_run_manifest_run_id_scopes_the_verdict(mixed: Server, capsys, tmp_path: Path):
    manifest = tmp_path / "run_manifest.json"
    manifest.write_text(json.dumps({"run_id": "r-broken"}))
    code, document = verdict(capsys, mixed.url, "--run-manifest", str(manifest))
    assert code == 1
    assert {k: v for k, v in results(document).items() if v != "pass"} == {"tick_rate": "fail"}
    assert document["scope"]["origin"] == "run manifest" and document["scope"]["selector"] == '{run_id="r-broken"}'


def test_a_run_manifest_id_on_no_series_is_no_data_not_another_runs_verdict(mixed: Server, capsys,
                                                                           tmp_path: Path):
    manifest = tmp_path / "run_manifest.json"
    manifest.write_text(json.dumps({"run_id": "r-other"}))
    code, document = verdict(capsys, mixed.url, "--run-manifest", str(manifest))
    assert code == 1 and results(document) == dict.fromkeys(ORDER, "no data")
    assert document["scope"]["origin"] == "run manifest; the window's series have run_id r-broken, r-clean"


def test_one_run_in_the_store_is_judged_and_named(alone: Server, capsys):
    code, document = verdict(capsys, alone.url)
    assert code == 0 and document["scope"]["selector"] is None
    assert (document["scope"]["pipeline"], document["run_id"]) == ("dev", "r-clean")


def test_every_evidence_query_returns_only_the_chosen_runs_data(mixed: Server, alone: Server, capsys,
                                                                tmp_path: Path):
    """Each query the criteria and the evidence ran, scoped, answers on the store of two runs exactly what it
    answers on a store holding the chosen run alone; unscoped, many answer differently there."""
    scope = from_flags(None, "r-clean", None)
    assert main(["--prometheus-url", alone.url, *WINDOW, "--out", str(tmp_path / "alone")]) == 0
    assert main(["--prometheus-url", mixed.url, *WINDOW, "--run-id", "r-clean", "--out", str(tmp_path / "mixed")]) == 0
    capsys.readouterr()
    plain = _entries(tmp_path / "alone")
    scoped = _entries(tmp_path / "mixed")
    assert sorted({scope.apply(e["query"]) for e in plain}) == sorted({e["query"] for e in scoped})
    mixing = 0
    for entry in plain:
        assert _ask(mixed.url, scope.apply(entry["query"]), entry) == _canonical(entry["result"]), entry["query"]
        mixing += _ask(mixed.url, entry["query"], entry) != _canonical(entry["result"])
    assert mixing > len(plain) // 2  # without the scope the other run changes most answers
    manifest = json.loads((tmp_path / "mixed" / "source_manifest.json").read_text())
    assert manifest["scope"]["selector"] == '{run_id="r-clean"}'
    assert "scope {run_id=\"r-clean\"} (flags): pipeline dev, run_id r-clean" in (
        tmp_path / "mixed" / "report.md").read_text().replace("- Scope: ", "scope ")


def test_compare_scopes_each_side(mixed: Server, capsys):
    until = str(BASE + LENGTH)
    base = ["--prometheus-url", mixed.url, "--baseline-until", until, "--candidate-until", until,
            "--format", "json"]
    assert compare_main(base) == 2
    assert "the store holds 2 runs in the window" in capsys.readouterr().err
    compare_main([*base, "--baseline-run-id", "r-clean", "--candidate-run-id", "r-broken"])
    document = json.loads(capsys.readouterr().out)
    sources = json.dumps(document)
    assert '{run_id=\\"r-clean\\"}' in sources and '{run_id=\\"r-broken\\"}' in sources


def _entries(bundle: Path) -> list[dict[str, Any]]:
    return [e for e in json.loads((bundle / "queries.json").read_text())["queries"] if e["status"] == "success"]


def _ask(url: str, query: str, entry: dict[str, Any]) -> list[Any]:
    keys = ("time",) if entry["kind"] == "instant" else ("start", "end", "step")
    path = "/api/v1/query" if entry["kind"] == "instant" else "/api/v1/query_range"
    params = urllib.parse.urlencode({"query": query, **{k: entry[k] for k in keys}})
    with urllib.request.urlopen(f"{url}{path}?{params}", timeout=30) as response:
        return _canonical(json.loads(response.read())["data"])


def _canonical(data: dict[str, Any]) -> list[Any]:
    result = data["result"]
    if data["resultType"] == "scalar":
        return [result]
    return sorted(json.dumps(item, sort_keys=True) for item in result)


@pytest.mark.parametrize(("run_id", "verdict_text"), [("r-clean", "pass"), ("r-broken", "fail")])
def test_the_watch_judges_only_its_scope(mixed: Server, capsys, run_id, verdict_text):
    start = BASE + LEAD_IN
    clock = [start]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    argv = ["--watch", "--prometheus-url", mixed.url, "--run-start", str(start), "--every", "600s", "--only",
            "tick_rate", "--format", "json"]
    with pytest.raises(ConfigError, match="the store holds 2 runs in the window"):
        watch_soak(build_parser().parse_args(argv), "verify-soak", lambda: clock[0], sleep)
    code = watch_soak(build_parser().parse_args([*argv, "--run-id", run_id]), "verify-soak", lambda: clock[0], sleep)
    document = json.loads(capsys.readouterr().out)
    assert (code, document["verdict"], document["scope"]["run_id"]) == (int(verdict_text == "fail"), verdict_text,
                                                                        run_id)
