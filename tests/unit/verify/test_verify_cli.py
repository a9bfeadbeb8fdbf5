"""verify-soak usage errors exit 2 before any query, with the flag or field named."""

from pathlib import Path

import pytest

from soakwatch.verify.cli import main

UNUSED = "http://127.0.0.1:9"  # never contacted: every case fails before the first query


@pytest.mark.parametrize(("argv", "message"), [
    (["--since", "an hour"], "invalid config: --since must be a Prometheus duration"),
    (["--until", "tomorrow"], "invalid config: --until must be RFC 3339 or unix seconds"),
    (["--tz", "Nowhere/City"], "invalid config: --tz must be an IANA timezone"),
    (["--skip", "all"], "invalid config: --skip names an unknown criterion 'all'"),
    (["--prometheus-url", "localhost:9090"], "invalid config: --prometheus-url must be an http(s) URL"),
    (["--until", "2999-01-01T00:00:00Z"], "invalid config: --until lies "),
])
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(["--prometheus-url", UNUSED, *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_criteria_file_exits_2_naming_the_field(tmp_path: Path, capsys):
    criteria = tmp_path / "criteria.yml"
    criteria.write_text("criteria:\n  resources:\n    thresholds: {max_rss_mb: 500}\n")
    assert main(["--prometheus-url", UNUSED, "--criteria", str(criteria)]) == 2
    assert ("verify-soak: invalid config: criteria.resources.thresholds.max_rss_mb is not a check of resources "
            "(checks: max_rss, max_open_fds)") in capsys.readouterr().err


def test_argparse_errors_return_2(capsys):
    assert main(["--format", "xml"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
    assert main(["--help"]) == 0


@pytest.mark.parametrize(("text", "message"), [
    ("criteria:\n  tick_rate: {threshold: .nan}\n", "criteria.tick_rate.threshold must be a finite number, got nan"),
    ("criteria:\n  tick_rate: {threshold: .inf}\n", "criteria.tick_rate.threshold must be a finite number, got inf"),
    ("min_coverage: .nan\n", "min_coverage must be a finite number"),
])
def test_criteria_thresholds_must_be_finite(tmp_path: Path, capsys, text, message):
    criteria = tmp_path / "criteria.yml"
    criteria.write_text(text)
    assert main(["--prometheus-url", UNUSED, "--criteria", str(criteria)]) == 2
    assert message in capsys.readouterr().err


def test_a_criteria_file_that_is_not_utf8_is_named(tmp_path: Path, capsys):
    criteria = tmp_path / "criteria.yml"
    criteria.write_bytes("criteria:\n  caf\xe9: {}\n".encode("latin-1"))
    assert main(["--prometheus-url", UNUSED, "--criteria", str(criteria)]) == 2
    err = capsys.readouterr().err
    assert "--criteria must be UTF-8 text" in err and "Traceback" not in err
