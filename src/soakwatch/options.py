"""Command-line flags that fall back to environment variables, with the variable shown in --help."""

from __future__ import annotations

import argparse
import difflib
import os
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from soakwatch.errors import ConfigError


def env_flag(
    parser: argparse.ArgumentParser | Any,
    *flags: str,
    env: str,
    default: Any = None,
    secret: bool = False,
    help: str,
    **kwargs: Any,
) -> argparse.Action:
    """Add a flag whose default comes from ``env``, then ``default``.

    Precedence is flag, then environment, then default. ``--help`` names the
    variable and the default, but never prints the value of a ``secret``.
    """
    value = os.environ.get(env, default)
    if "type" in kwargs and isinstance(value, str) and env in os.environ:
        value = kwargs["type"](value)
    shown = "" if secret or default is None else f"; default {default}".replace("%", "%%")  # argparse %-formats
    return parser.add_argument(*flags, default=value, help=f"{help} [env {env}{shown}]", **kwargs)


def flag_given(argv: Sequence[str], *flags: str) -> bool:
    """True when one of ``flags`` is on the command line (``--flag value`` or ``--flag=value``)."""
    return any(arg == flag or arg.startswith(flag + "=") for arg in argv for flag in flags)


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def host_port(text: str) -> tuple[str, int]:
    """argparse type: ``HOST:PORT`` or ``:PORT`` or ``PORT`` (host defaults to 0.0.0.0)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port {number} must be 0..65535")
    return (host.strip("[]") or "0.0.0.0", number)


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser that takes no abbreviations (``--msg`` is not ``--msgs``) and, on an unknown flag,
    suggests the closest one it knows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        known = _option_strings(self)
        hints = [f"did you mean {close[0]}?" for flag in _unknown_flags(message)
                 if (close := difflib.get_close_matches(flag, known, n=1, cutoff=0.6))]
        super().error("; ".join([message, *hints]))


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every flag of ``parser`` and of its subcommands (an unknown flag of a subcommand lands at the top)."""
    flags = list(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            flags += [flag for sub in action.choices.values() for flag in _option_strings(sub)]
    return flags


def _unknown_flags(message: str) -> list[str]:
    """The flags named by argparse's 'unrecognized arguments: ...' message (values are left out)."""
    found = re.search(r"unrecognized arguments: (.*)", message)
    return [word.split("=")[0] for word in found.group(1).split() if word.startswith("--")] if found else []


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def env_switch(parser: argparse.ArgumentParser | Any, flag: str, *, env: str, help: str) -> argparse.Action:
    """A flag without a value (``store_true``) that the environment can also turn on (``ENV=1``/``true``/``yes``)."""
    text = os.environ.get(env, "").strip().lower()
    if text not in _TRUE + _FALSE:
        raise ConfigError(env, f"must be one of {', '.join(_TRUE)} (on) or {', '.join(_FALSE[1:])} (off), "
                               f"got {text!r}")
    return parser.add_argument(flag, action="store_true", default=text in _TRUE, help=f"{help} [env {env}]")
