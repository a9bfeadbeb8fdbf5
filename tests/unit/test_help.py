"""Every command's --help prints its usage and exits 0."""

from __future__ import annotations

import pytest

from soakwatch.cli import SUBCOMMANDS, main
from soakwatch.exporters.probe.cli import main as probe_main
from soakwatch.verify.cli import main as verify_main

BENCH_PATTERNS = ("pubsub", "request", "jetstream", "compare")
COMMANDS = [[name] for name in SUBCOMMANDS] + [["bench", pattern] for pattern in BENCH_PATTERNS]


def _help(entry, argv, capsys) -> str:
    try:
        code = entry([*argv, "--help"])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out
    assert code in (0, None), f"{' '.join(argv)} --help exited {code}"
    return out


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_soakwatch_command_help(argv, capsys) -> None:
    out = _help(main, argv, capsys)
    assert "usage:" in out and "--help" in out


@pytest.mark.parametrize("entry", [probe_main, verify_main], ids=["nats-throughput-probe", "verify-soak"])
def test_console_script_help(entry, capsys) -> None:
    assert "usage:" in _help(entry, [], capsys)
