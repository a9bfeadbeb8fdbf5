"""No abbreviated flags anywhere, and a typo gets the closest flag suggested."""

from __future__ import annotations

import pytest
from test_env_flags import _parsers

from soakwatch.cli import main


def test_no_command_takes_abbreviations(monkeypatch: pytest.MonkeyPatch) -> None:
    parsers = _parsers(monkeypatch)
    assert [prog for prog, parser in parsers.items() if parser.allow_abbrev] == []


@pytest.mark.parametrize(("argv", "hint"), [
    (["bench", "pubsub", "--msg", "100"], "unrecognized arguments: --msg 100; did you mean --msgs?"),
    (["verify", "--sinc", "5m"], "unrecognized arguments: --sinc 5m; did you mean --since?"),
    (["probe", "--duratio=3"], "did you mean --duration?"),
])
def test_a_typo_names_the_closest_flag_and_exits_2(capsys, argv, hint) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert hint in capsys.readouterr().err
