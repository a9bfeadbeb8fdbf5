"""A run's scope (label matchers) and its injection into every vector and range selector of a PromQL expression.

``--pipeline``, ``--run-id`` and ``--selector '{label="value",...}'`` make one ``Scope``; ``Scope.apply`` rewrites
any expression so that every selector carries its matchers (``metric`` -> ``metric{pipeline="x"}``,
``m{a="b"}[5m]`` -> ``m{a="b",pipeline="x"}[5m]``). The expression is tokenized (strings, numbers, durations,
brackets, label lists of ``by``/``without``/``on``/``ignoring``/``group_left``/``group_right``, function calls),
never rewritten by a pattern over the whole text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from soakwatch.errors import ConfigError

OPS = ("=~", "!~", "!=", "=")
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = LABEL_LISTS | {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile", "limitk", "limit_ratio"}
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)
  | (?P<number>(?:\d|\.\d)[0-9a-zA-Z_.]*(?:(?<=[eE])[+-]\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=!@,(){}\[\]:])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``label op "value"``."""

    label: str
    op: str
    value: str

    @property
    def text(self) -> str:
        return f"{self.label}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


@dataclass(frozen=True)
class Scope:
    """The matchers every query of a verdict carries; empty: the whole store."""

    matchers: tuple[Matcher, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.matchers)

    @property
    def selector(self) -> str:
        """``{pipeline="x",run_id="y"}`` (``{}`` when empty)."""
        return "{" + ",".join(m.text for m in self.matchers) + "}"

    def equal(self, label: str) -> str | None:
        """The value an ``=`` matcher of this scope requires of ``label``, if any."""
        return next((m.value for m in self.matchers if m.label == label and m.op == "="), None)

    def apply(self, expr: str) -> str:
        """``expr`` with this scope's matchers added to every vector and range selector."""
        return inject(expr, self.matchers) if self.matchers else expr

    def describe(self) -> dict[str, object]:
        """The scope as recorded in verdict.json and source_manifest.json."""
        return {"selector": self.selector if self else None, "pipeline": self.equal("pipeline"),
                "run_id": self.equal("run_id")}


def from_flags(pipeline: str | None, run_id: str | None, selector: str | None) -> Scope:
    """The scope of ``--pipeline``, ``--run-id`` and ``--selector`` (in that order)."""
    matchers: list[Matcher] = []
    for flag, label, value in (("--pipeline", "pipeline", pipeline), ("--run-id", "run_id", run_id)):
        if value is not None:
            if not value:
                raise ConfigError(flag, "must not be empty")
            matchers.append(Matcher(label, "=", value))
    if selector is not None:
        matchers += parse_selector(selector, "--selector")
    return Scope(tuple(matchers))


def parse_selector(text: str, flag: str) -> list[Matcher]:
    """``{label="value",...}`` (braces optional) with ``=``, ``!=``, ``=~`` or ``!~``; strings in double, single
    or back quotes."""
    tokens = [t for t in tokenize(text) if t.kind != "space"]
    if tokens[:1] == [Token("op", "{")]:
        if tokens[-1:] != [Token("op", "}")]:
            raise _bad(flag, text, "a '{' without its closing '}'")
        tokens = tokens[1:-1]
    matchers: list[Matcher] = []
    while tokens:
        part, tokens = _matcher(tokens, flag, text), tokens[3:]
        matchers.append(part)
        if tokens:
            if tokens[0] != Token("op", ","):
                raise _bad(flag, text, f"expected ',' between matchers, found {tokens[0].text!r}")
            tokens = tokens[1:]
    if not matchers:
        raise _bad(flag, text, "no matcher")
    return matchers


def _matcher(tokens: list[Token], flag: str, text: str) -> Matcher:
    if len(tokens) < 3 or tokens[0].kind != "ident" or not _LABEL.fullmatch(tokens[0].text):
        raise _bad(flag, text, f"a matcher must start with a label name, found {tokens[0].text!r}")
    label, op, value = tokens[:3]
    if op.kind != "op" or op.text not in OPS:
        raise _bad(flag, text, f"{label.text}: the operator must be one of = != =~ !~, found {op.text!r}")
    if value.kind != "string":
        raise _bad(flag, text, f"{label.text}: the value must be a quoted string, found {value.text!r}")
    return Matcher(label.text, op.text, unquote(value.text))


def _bad(flag: str, text: str, reason: str) -> ConfigError:
    return ConfigError(flag, f"must be {{label=\"value\",...}} with = != =~ or !~ ({reason}): got {text!r}")


def unquote(literal: str) -> str:
    """The value of a PromQL string literal."""
    if literal[0] == "`":
        return literal[1:-1]
    body = literal[1:-1]
    if literal[0] == "'":
        body = body.replace("\\'", "'").replace('"', '\\"')
    return str(json.loads(f'"{body}"'))


def tokenize(expr: str) -> list[Token]:
    """PromQL tokens; concatenated, they give ``expr`` back unchanged."""
    return [Token(str(m.lastgroup), m.group()) for m in _TOKEN.finditer(expr)]


def inject(expr: str, matchers: tuple[Matcher, ...]) -> str:
    """``expr`` with ``matchers`` added to every vector and range selector."""
    added = ",".join(m.text for m in matchers)
    tokens = tokenize(expr)
    return "".join(_rewrite(tokens, added))


def _rewrite(tokens: list[Token], added: str) -> Iterator[str]:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "op" and token.text == "[":
            end = _closing(tokens, i, "[", "]")
            yield from (t.text for t in tokens[i:end + 1])
            i = end + 1
        elif token.kind == "op" and token.text == "{":
            i = yield from _braces(tokens, i, added)
        elif token.kind == "ident" and token.text.lower() in LABEL_LISTS and _next(tokens, i).text == "(":
            end = _closing(tokens, _next_index(tokens, i), "(", ")")
            yield from (t.text for t in tokens[i:end + 1])
            i = end + 1
        elif token.kind == "ident" and _is_metric(tokens, i):
            yield token.text
            if _next(tokens, i).text == "{":
                j = _next_index(tokens, i)
                yield from (t.text for t in tokens[i + 1:j])
                i = yield from _braces(tokens, j, added)
            else:
                yield "{" + added + "}"
                i += 1
        else:
            yield token.text
            i += 1


def _braces(tokens: list[Token], i: int, added: str) -> Generator[str, None, int]:
    """The matcher list opening at ``tokens[i]`` with ``added`` appended; returns the index after its ``}``."""
    end = _closing(tokens, i, "{", "}")
    if tokens[end].text != "}":  # never closed: left as it is, for the store to reject
        yield from (t.text for t in tokens[i:])
        return len(tokens)
    inside = tokens[i + 1:end]
    meaningful = [t for t in inside if t.kind != "space"]
    comma = "" if not meaningful or meaningful[-1].text == "," else ","
    yield "{" + "".join(t.text for t in inside) + comma + added + "}"
    return end + 1


def _is_metric(tokens: list[Token], i: int) -> bool:
    """An identifier that names a metric: not a keyword, function or aggregation, nor a label name."""
    word = tokens[i].text
    if word.lower() in KEYWORDS:
        return False
    following = _next(tokens, i)
    if following.text == "(":
        return False  # a function call or an aggregation
    return not (word.lower() in AGGREGATIONS and following.text.lower() in ("by", "without"))


def _next_index(tokens: list[Token], i: int) -> int:
    j = i + 1
    while j < len(tokens) and tokens[j].kind == "space":
        j += 1
    return j


def _next(tokens: list[Token], i: int) -> Token:
    j = _next_index(tokens, i)
    return tokens[j] if j < len(tokens) else Token("end", "")


def _closing(tokens: list[Token], i: int, opening: str, closing: str) -> int:
    """Index of the token that closes ``tokens[i]``; the last token when it is never closed (the store then
    rejects the query and names the problem)."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind == "op" and tokens[j].text == opening:
            depth += 1
        elif tokens[j].kind == "op" and tokens[j].text == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1
