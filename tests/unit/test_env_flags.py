"""Every flag that takes a value also works as an environment variable, except the repeatable ones README names."""

from __future__ import annotations

import argparse
import contextlib
import re
from pathlib import Path

import pytest
from test_help import BENCH_PATTERNS

from soakwatch.cli import SUBCOMMANDS, main
from soakwatch.exporters.probe.cli import main as probe_main
from soakwatch.verify.cli import main as verify_main

README = Path(__file__).resolve().parents[2] / "README.md"
FLAG_ONLY = ("--subject", "--only", "--skip", "--fault", "--demo-arg", "--ignore", "--budget", "--symbols")


def _parsers(monkeypatch: pytest.MonkeyPatch) -> dict[str, argparse.ArgumentParser]:
    """Every command's parser, caught as it prints its --help."""
    seen: dict[str, argparse.ArgumentParser] = {}
    monkeypatch.setattr(argparse.ArgumentParser, "print_help", lambda self, file=None: seen.setdefault(self.prog, self))
    runs = [(main, [name]) for name in SUBCOMMANDS] + [(main, ["bench", mode]) for mode in BENCH_PATTERNS]
    for entry, argv in [*runs, (probe_main, []), (verify_main, [])]:
        with contextlib.suppress(SystemExit):
            entry([*argv, "--help"])
    return seen


def test_value_flags_name_their_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    parsers = _parsers(monkeypatch)
    assert len(parsers) >= len(SUBCOMMANDS)
    missing = [f"{prog} {action.option_strings[0]}" for prog, parser in parsers.items() for action in parser._actions
               if action.option_strings and action.nargs != 0 and action.help != argparse.SUPPRESS
               and "[env " not in (action.help or "") and action.option_strings[0] not in FLAG_ONLY]
    assert missing == []


def test_readme_names_the_flags_without_an_environment_variable() -> None:
    text = " ".join(README.read_text().split())
    sentence = re.search(r"on/off switches and repeatable flags \((.*?)\) are flags only", text)
    assert sentence is not None
    assert set(FLAG_ONLY) <= set(re.findall(r"`(--[a-z-]+)`", sentence.group(1)))
