"""Fault specs of `soakwatch demo`: times, durations, values, and errors that name the spec and the rule."""

from __future__ import annotations

import pytest

from soakwatch.demo import cli, connection
from soakwatch.demo.faults import KINDS, parse_fault, parse_faults
from soakwatch.errors import ConfigError
from soakwatch.stack import free_port

RUN = 300.0  # a five-minute run


@pytest.mark.parametrize(("spec", "kind", "target", "start", "duration", "value"), [
    ("kill:signal@50%", "kill", "signal", 150.0, 0.0, None),
    ("kill:report@1m+20s", "kill", "report", 60.0, 20.0, None),
    ("stall:signals@2m+3m", "stall", "signals", 120.0, 180.0, None),
    ("corrupt:ticks@1m+30s", "corrupt", "ticks", 60.0, 30.0, 0.5),
    ("corrupt:ticks@1m+30s=0.1", "corrupt", "ticks", 60.0, 30.0, 0.1),
    ("drop:harvester@3m", "drop", "harvester", 180.0, 3.0, None),
    ("slow:sink-sqlite@1m30s+1m=0.05", "slow", "sink-sqlite", 90.0, 60.0, 0.05),
    ("rate:ticks@10+20=2000", "rate", "ticks", 10.0, 20.0, 2000.0),
    ("timeout:harvester@0s", "timeout", "harvester", 0.0, 0.0, 1.0),
    ("unhealthy:broker@10%+10%", "unhealthy", "broker", 30.0, 30.0, None),
    ("fail:export@4m+30s", "fail", "export", 240.0, 30.0, None),
    ("lag:ticks@1m+1m", "lag", "ticks", 60.0, 60.0, 0.05),
])
def test_good_specs(spec, kind, target, start, duration, value):
    fault = parse_fault(spec, RUN)
    assert (fault.kind, fault.target, fault.start, fault.duration, fault.value) == (
        kind, target, start, duration, value)
    assert fault.spec == spec


@pytest.mark.parametrize(("spec", "rule"), [
    ("kill-signal", "must look like KIND:TARGET@START"),
    ("explode:signal@1m", "kind 'explode' is unknown (known: corrupt, drop, fail, kill"),
    ("kill:ticks@1m", "target 'ticks' is not one of kill's targets (harvest, signal, broker, report)"),
    ("stall:signals@1m", "stall needs a duration (+DURATION, e.g. +30s)"),
    ("timeout:harvester@1m+10s", "timeout takes no duration"),
    ("rate:ticks@1m+1m", "rate needs a value (=VALUE)"),
    ("kill:signal@1m=3", "kill takes no value"),
    ("corrupt:ticks@1m+1m=2", "value '2' must be a share > 0 and <= 1"),
    ("corrupt:ticks@1m+1m=x", "value 'x' is not a number"),
    ("kill:signal@150%", "start '150%' must be between 0% and 100%"),
    ("kill:signal@soon", "start 'soon' must be a duration like 90s, 2m, 1m30s or a share like 50%"),
    ("kill:signal@6m", "starts at 360 s, not before the end of the 300 s run"),
    ("stall:signals@1m+0s", "duration '0s' must be > 0"),
])
def test_bad_specs_name_the_spec_and_the_rule(spec, rule):
    with pytest.raises(ConfigError) as info:
        parse_fault(spec, RUN)
    assert str(info.value).startswith(f"invalid config: --fault {spec!r} ")
    assert rule in str(info.value)


def test_faults_are_ordered_by_start():
    faults = parse_faults(["kill:signal@2m", "drop:harvester@30s", "stall:signals@1m+1m"], RUN)
    assert [f.kind for f in faults] == ["drop", "stall", "kill"]
    assert [f.role for f in faults] == ["harvest", "signal", "signal"]


def test_every_kind_says_what_it_trips():
    assert all(kind.trips and kind.help for kind in KINDS.values())


def test_demo_exits_2_on_a_bad_fault(capsys, tmp_path):
    code = cli.main(["--minutes", "1", "--state-dir", str(tmp_path), "--fault", "kill:signal@2m"])
    err = capsys.readouterr().err
    assert code == 2
    assert "invalid config: --fault 'kill:signal@2m' starts at 120 s, not before the end of the 60 s run" in err
    assert not (tmp_path / "demo").exists()


def test_demo_exits_2_on_a_symbol_that_is_no_subject_token(capsys, tmp_path):
    code = cli.main(["--minutes", "1", "--state-dir", str(tmp_path), "--symbols", "BTCUSDT", "ETH.USDT"])
    assert code == 2
    assert "invalid config: --symbols must be NATS subject tokens of letters, digits, - and _, got 'ETH.USDT'" in (
        capsys.readouterr().err)


def test_faults_also_come_from_the_environment(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SOAK_DEMO_FAULTS", "kill:signal@10s kill:report@2m")
    code = cli.main(["--minutes", "1", "--state-dir", str(tmp_path)])
    assert code == 2
    assert "invalid config: --fault 'kill:report@2m' starts at 120 s" in capsys.readouterr().err


def test_demo_exits_1_naming_the_url_when_nats_is_unreachable(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(connection, "CONNECT_TIMEOUT", 1.0)
    url = f"nats://127.0.0.1:{free_port()}"
    code = cli.main(["--minutes", "1", "--state-dir", str(tmp_path), "--nats-url", url])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot connect to NATS at {url}: no answer within 1 s; is the stack up (`soakwatch up`)?" in err
    assert not (tmp_path / "demo").exists()
