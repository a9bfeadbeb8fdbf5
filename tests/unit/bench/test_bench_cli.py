"""bench flags: bad values exit 2 naming the flag; defaults and the derived monitoring URL."""

import pytest

from soakwatch.bench.cli import build_parser, config_from_args, main
from soakwatch.bench.config import BenchConfig
from soakwatch.bench.resources import default_monitor_url
from soakwatch.cli import SUBCOMMANDS
from soakwatch.errors import ConfigError
from soakwatch.stack import free_port


def test_registered_in_the_dispatcher():
    assert SUBCOMMANDS["bench"][0] == "soakwatch.bench.cli:main"


@pytest.mark.parametrize(
    ("argv", "flag", "rule"),
    [
        (["pubsub", "--msgs", "0"], "--msgs", "must be >= 1"),
        (["pubsub", "--msgs", "many"], "--msgs", "is not a whole number"),
        (["request", "--size", "4"], "--size", "must be >= 8"),
        (["jetstream", "--rate", "-10"], "--rate", "must be > 0"),
        (["pubsub", "--duration", "abc"], "--duration", "is not a number"),
        (["pubsub", "--repeats", "0"], "--repeats", "must be >= 1"),
        (["pubsub", "--warmup", "-1"], "--warmup", "must be >= 0"),
        (["pubsub", "--clients", "0"], "--clients", "must be >= 1"),
        (["request", "--responders", "0"], "--responders", "must be >= 1"),
        (["pubsub", "--responders", "2"], "--responders", "unrecognized arguments"),
        (["jetstream", "--batch", "0"], "--batch", "must be >= 1"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(capsys, argv, flag, rule):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert flag in err and rule in err


def test_unknown_mode_exits_2(capsys):
    assert main(["fanout"]) == 2
    assert "invalid choice: 'fanout'" in capsys.readouterr().err


def test_rules_across_flags_exit_2_naming_the_flags(capsys):
    port = free_port()
    assert main(["pubsub", "--msgs", "2", "--clients", "3", "--nats-url", f"nats://127.0.0.1:{port}"]) == 2
    assert "invalid config: --msgs must be >= --clients (3), got 2" in capsys.readouterr().err
    assert main(["jetstream", "--stream", "bad.name", "--nats-url", f"nats://127.0.0.1:{port}"]) == 2
    assert "invalid config: --stream" in capsys.readouterr().err
    assert main(["pubsub", "--nats-url", "http://127.0.0.1:1"]) == 2
    assert "invalid config: --nats-url" in capsys.readouterr().err


def test_bad_environment_value_exits_2(capsys, monkeypatch):
    monkeypatch.setenv("SOAK_BENCH_MSGS", "lots")
    assert main(["pubsub"]) == 2
    assert "invalid environment variable value" in capsys.readouterr().err


def test_environment_sets_flags(monkeypatch):
    monkeypatch.setenv("SOAK_BENCH_MSGS", "250")
    monkeypatch.setenv("SOAK_BENCH_RATE", "100")
    config = config_from_args(build_parser("bench").parse_args(["request", "--clients", "2"]))
    assert (config.msgs, config.rate, config.clients, config.responders) == (250, 100.0, 2, 1)


@pytest.mark.timeout(20)
def test_unreachable_nats_exits_2(capsys):
    port = free_port()
    argv = ["pubsub", "--nats-url", f"nats://127.0.0.1:{port}", "--nats-monitor-url", "none", "--timeout", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"cannot connect to nats://127.0.0.1:{port}" in err


def test_defaults_and_duration_without_msgs():
    args = build_parser("bench").parse_args(["pubsub"])
    config = config_from_args(args)
    assert (config.msgs, config.size, config.repeats, config.warmup, config.seed) == (10_000, 128, 3, 1000, 1337)
    config = config_from_args(build_parser("bench").parse_args(["pubsub", "--duration", "2", "--rate", "500"]))
    assert config.msgs is None and config.plan().counts == [None]
    assert "responders" not in config.parameters() and "batch" not in config.parameters()


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="--size must be >= 8"):
        BenchConfig(mode="pubsub", size=7)
    with pytest.raises(ConfigError, match="mode must be one of"):
        BenchConfig(mode="fanout")


def test_default_monitor_url_from_the_nats_url():
    assert default_monitor_url("nats://user:pw@10.1.2.3:4222") == "http://10.1.2.3:8222"
    assert default_monitor_url("nats://a.example:4333,nats://b.example:4222") == "http://a.example:8222"
    assert default_monitor_url("tls://[::1]:4222") == "http://[::1]:8222"
