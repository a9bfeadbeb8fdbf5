"""The compare spec file: its fields and the errors that name them."""

import pytest

from soakwatch.bench.cli import main
from soakwatch.bench.spec import FigureSpec, Spec, load_spec
from soakwatch.errors import ConfigError


def test_spec_file_fields(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("figures:\n  a_per_sec: {better: higher, compare: min}\n  gc: lower\n"
                    "parameters: [symbols]\nignore: [noise_ms]\n")
    assert load_spec(path) == Spec({"a_per_sec": FigureSpec("higher", "min"), "gc": FigureSpec("lower", "median")},
                                   frozenset({"symbols"}), frozenset({"noise_ms"}))
    assert load_spec(None) == Spec()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("figures:\n  x: {better: up}\n", "invalid config: figures.x.better must be higher or lower, got 'up'"),
        ("figures:\n  x: {better: lower, compare: 3}\n", "invalid config: figures.x.compare must be the key of"),
        ("figures:\n  x: {better: lower, stat: min}\n", "invalid config: figures.x.stat is not a known field"),
        ("figures:\n  x: [lower]\n", "invalid config: figures.x must be higher, lower or"),
        ("figures: [x]\n", "invalid config: figures must be a mapping"),
        ("parameters: symbols\n", "invalid config: parameters must be a list of key names"),
        ("directions: {}\n", "invalid config: directions is not a field of"),
        ("{not: yaml: here\n", "must be a readable YAML file"),
    ],
)
def test_bad_spec_names_the_field_and_rule(tmp_path, content, message):
    path = tmp_path / "spec.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert message in str(caught.value)


def test_bad_spec_exits_2(write, foreign, tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_text("figures:\n  x: {better: sideways}\n")
    assert main(["compare", write("a.json", foreign), write("b.json", foreign), "--spec", str(path)]) == 2
    assert capsys.readouterr().err == ("soakwatch bench: invalid config: figures.x.better must be higher or lower, "
                                       "got 'sideways'\n")
    assert main(["compare", write("a.json", foreign), write("b.json", foreign), "--spec", str(tmp_path / "no")]) == 2
    assert "must be a readable YAML file" in capsys.readouterr().err
