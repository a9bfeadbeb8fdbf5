"""The orchestrator's run manifest as verify-soak reads it (--run-manifest)."""

from __future__ import annotations

import json

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.runinfo import RunInfo, load_run_info, parse_run_info


def test_demo_manifest_fields() -> None:
    info = parse_run_info({
        "run_id": "20261130T101500Z-ab12", "restart_backoff_pattern": [0.5, 1, 2],
        "run": {"minutes": 3, "symbols": ["BTCUSDT", "ETHUSDT"], "nats_url": "nats://user:secret@127.0.0.1:4222"},
    })
    assert info.run_id == "20261130T101500Z-ab12"
    assert info.planned_seconds == 180.0
    assert info.symbols == ("BTCUSDT", "ETHUSDT")
    assert info.endpoint is not None and "secret" not in info.endpoint and "127.0.0.1:4222" in info.endpoint
    assert info.restart_backoff_pattern == (0.5, 1.0, 2.0)
    assert info.region is None


def test_top_level_fields_win_over_the_demo_block() -> None:
    info = parse_run_info({"planned_duration_seconds": 3600, "symbols": ["A"], "region": "ap-northeast-1",
                           "data_source_endpoint": "wss://feed.example/ws", "run": {"minutes": 3, "symbols": ["B"]}})
    assert (info.planned_seconds, info.symbols, info.region) == (3600.0, ("A",), "ap-northeast-1")
    assert info.endpoint == "wss://feed.example/ws"


def test_no_path_is_an_empty_run_info() -> None:
    assert load_run_info(None) == RunInfo()


@pytest.mark.parametrize(("document", "field"), [
    ({"planned_duration_seconds": float("nan")}, "planned_duration_seconds"),
    ({"planned_duration_seconds": -5}, "planned_duration_seconds"),
    ({"run": {"minutes": True}}, "run.minutes"),
    ({"symbols": "BTCUSDT"}, "symbols"),
    ({"restart_backoff_pattern": [1, "2"]}, "restart_backoff_pattern"),
    ({"run_id": 7}, "run_id"),
    ([1, 2], "(top level)"),
])
def test_bad_fields_name_the_field(document: object, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_run_info(document)
    assert str(info.value).startswith(f"invalid config: --run-manifest {field} ")


def test_unreadable_and_non_json_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="must be a readable file"):
        load_run_info(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{")
    with pytest.raises(ConfigError, match="must be a JSON file"):
        load_run_info(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"run_id": "r1"}))
    assert load_run_info(good).run_id == "r1"
