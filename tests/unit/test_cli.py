"""The soakwatch dispatcher: help, version, unknown commands."""

from soakwatch import __version__
from soakwatch.cli import SUBCOMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert f"  {name}" in out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage: soakwatch" in capsys.readouterr().out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"soakwatch {__version__}"


def test_unknown_command_names_it(capsys):
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_every_command_target_imports():
    import importlib

    for target, _ in SUBCOMMANDS.values():
        module, _, func = target.partition(":")
        assert callable(getattr(importlib.import_module(module), func))
