"""The scope's matchers reach every selector of any PromQL expression, and nothing else."""

from __future__ import annotations

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.scope import Matcher, Scope, from_flags, parse_selector, tokenize

P = Scope((Matcher("pipeline", "=", "x"),))
S = 'pipeline="x"'

CASES = [
    ("m", f"m{{{S}}}"),
    ("soak_up{a=\"b\"}[5m]", f"soak_up{{a=\"b\",{S}}}[5m]"),
    ("m{}", f"m{{{S}}}"),
    ("m{a=\"b\",}", f"m{{a=\"b\",{S}}}"),
    ("m {a='b'}", f"m {{a='b',{S}}}"),
    ('{__name__=~"soak_.+"}', f'{{__name__=~"soak_.+",{S}}}'),
    ("rate(m[5m])", f"rate(m{{{S}}}[5m])"),
    ("rate (m[1h30m])", f"rate (m{{{S}}}[1h30m])"),
    ("max_over_time(rate(m[1m])[30m:15s])", f"max_over_time(rate(m{{{S}}}[1m])[30m:15s])"),
    ("sum by (job, process) (rate(m[5m]))", f"sum by (job, process) (rate(m{{{S}}}[5m]))"),
    ("sum(rate(m[5m])) without (instance)", f"sum(rate(m{{{S}}}[5m])) without (instance)"),
    ("SUM BY (job) (m)", f"SUM BY (job) (m{{{S}}})"),
    ("a / on(job, instance) group_left(process) b", f"a{{{S}}} / on(job, instance) group_left(process) b{{{S}}}"),
    ("a * ignoring(x) group_right b", f"a{{{S}}} * ignoring(x) group_right b{{{S}}}"),
    ("a > bool 0.5", f"a{{{S}}} > bool 0.5"),
    ("a and b or c unless d", f"a{{{S}}} and b{{{S}}} or c{{{S}}} unless d{{{S}}}"),
    ("a atan2 b", f"a{{{S}}} atan2 b{{{S}}}"),
    ("m offset 5m", f"m{{{S}}} offset 5m"),
    ("m[5m] offset -1h", f"m{{{S}}}[5m] offset -1h"),
    ("m @ 1700000000.5", f"m{{{S}}} @ 1700000000.5"),
    ("m @ end()", f"m{{{S}}} @ end()"),
    ("rate(m[5m] @ start())", f"rate(m{{{S}}}[5m] @ start())"),
    ('label_replace(m, "dst", "$1", "src", "(by|on) x")', f'label_replace(m{{{S}}}, "dst", "$1", "src", "(by|on) x")'),
    ('count_values("value", m)', f'count_values("value", m{{{S}}})'),
    ("topk(5, m)", f"topk(5, m{{{S}}})"),
    ("quantile(0.99, m)", f"quantile(0.99, m{{{S}}})"),
    ("vector(1)", "vector(1)"),
    ("time() - 1e3", "time() - 1e3"),
    ("0x1F + 1.5e-3 + Inf - NaN", "0x1F + 1.5e-3 + Inf - NaN"),
    ("scalar(m) * 2", f"scalar(m{{{S}}}) * 2"),
    ("absent(soak_x{job=\"a\"})", f"absent(soak_x{{job=\"a\",{S}}})"),
    ("ALERTS{alertname=\"X\",alertstate=\"firing\"}", f"ALERTS{{alertname=\"X\",alertstate=\"firing\",{S}}}"),
    ("soak:rate5m + m:sum:x", f"soak:rate5m{{{S}}} + m:sum:x{{{S}}}"),
    ('m{a="}{,by"}', f'm{{a="}}{{,by",{S}}}'),
    ("m{a=`x\"y`}", f"m{{a=`x\"y`,{S}}}"),
    ("sum(m) # by (x) comment\n+ n", f"sum(m{{{S}}}) # by (x) comment\n+ n{{{S}}}"),
    ('histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))',
     f'histogram_quantile(0.99, sum by (le) (rate(h_bucket{{{S}}}[5m])))'),
    ("-m", f"-m{{{S}}}"),
    ("(m)", f"(m{{{S}}})"),
    ('{"soak.dotted", a="b"}', f'{{"soak.dotted", a="b",{S}}}'),
    ("m{", "m{"),
]


@pytest.mark.parametrize(("expr", "expected"), CASES)
def test_every_selector_gets_the_scope(expr: str, expected: str) -> None:
    assert P.apply(expr) == expected


def test_the_same_label_in_query_and_scope_both_hold() -> None:
    assert P.apply('m{pipeline="y"}') == 'm{pipeline="y",pipeline="x"}'


def test_an_empty_scope_leaves_the_query_alone() -> None:
    assert Scope().apply("rate(m[5m])") == "rate(m[5m])"


def test_tokens_give_the_expression_back() -> None:
    expr = 'sum by (a) (rate(m{x=~"a|b"}[5m:1m] offset 1h)) > bool on() group_left vector(1e+3)'
    assert "".join(t.text for t in tokenize(expr)) == expr


def test_several_matchers_and_escaping() -> None:
    scope = from_flags("dev", 'r"1', '{team!="x", host=~"a.*",zone!~`b`}')
    assert scope.selector == '{pipeline="dev",run_id="r\\"1",team!="x",host=~"a.*",zone!~"b"}'
    assert scope.apply("m") == "m" + scope.selector
    assert scope.describe() == {"selector": scope.selector, "pipeline": "dev", "run_id": 'r"1'}


def test_selector_without_braces_and_single_quotes() -> None:
    assert parse_selector("a='x\\'y'", "--selector") == [Matcher("a", "=", "x'y")]


@pytest.mark.parametrize("text", ['{a="b"', "{}", '{a=="b"}', '{a=b}', '{"a"="b"}', '{a="b" c="d"}', '{1a="b"}',
                                  'a'])
def test_bad_selectors_name_the_flag(text: str) -> None:
    with pytest.raises(ConfigError, match="--selector must be"):
        parse_selector(text, "--selector")


def test_empty_pipeline_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--pipeline must not be empty"):
        from_flags("", None, None)
