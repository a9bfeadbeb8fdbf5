"""The PromQL of a built dashboard: every panel target, variable and annotation, ready to run as Grafana would."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NamedTuple

# Grafana's built-in variables, as a 1 s scrape interval and a short time range give them.
BUILTINS = {"__rate_interval": "1m", "__range": "1m"}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")
_DESCENDING = 2  # Grafana's VariableSort alphabetical descending (1: ascending)
_SELECTOR = re.compile(r'\b[a-zA-Z_:][a-zA-Z0-9_:]*\{(?:[^}"]|"[^"]*")*\}')
IDENTITY = ("pipeline", "run_id")
CHOOSERS = ("variable pipeline", "variable run")  # the variables that list the pipelines and runs to choose from
_NO_PROMQL = ("datasource", "custom")  # variable types whose values are not a Prometheus query


class Query(NamedTuple):
    where: str  # "panel 'Tick rate' A", "variable process", "annotation 'Alerts'"
    expr: str
    needs_data: bool  # panels and variables must show something; annotations may be empty


def shows_pushed_results(model: dict[str, Any]) -> bool:
    """Every panel says what it shows when empty (noValue): results pushed on demand, absent until a push."""
    panels = [p for p in model["panels"] if p["type"] != "row"]
    return bool(panels) and all(p["fieldConfig"]["defaults"].get("noValue") for p in panels)


def dashboard_queries(model: dict[str, Any], require_data: bool | None = None) -> list[Query]:
    """Every expression of a dashboard model (the JSON Grafana loads). Panels and variables need data when
    ``require_data``; by default, unless the dashboard shows pushed results (which may not exist yet), and a
    panel that says what it shows when empty (noValue: results pushed on demand) never needs it."""
    needed = not shows_pushed_results(model) if require_data is None else require_data
    found = [Query(f"panel {panel['title']!r} {target['refId']}", target["expr"],
                   needed and (require_data or not panel.get("fieldConfig", {}).get("defaults", {}).get("noValue")))
             for panel in model["panels"] for target in panel.get("targets", [])]
    for variable in model["templating"]["list"]:
        if variable["type"] in _NO_PROMQL:
            continue
        selector = _LABEL_VALUES.match(variable["query"])
        if not selector:
            raise ValueError(f"variable {variable['name']}: unexpected query {variable['query']!r}")
        found.append(Query(f"variable {variable['name']}", selector["selector"], needed))
    annotations = model.get("annotations", {}).get("list", [])
    found += [Query(f"annotation {a['name']!r}", a["expr"], False) for a in annotations]
    return found


def variable_values(model: dict[str, Any]) -> dict[str, str]:
    """What Grafana puts in for each variable of ``model`` at its default (All: the variable's allValue); a
    variable without a default (one value, the first offered) is left out: see :func:`resolved_values`."""
    values = dict(BUILTINS)
    for variable in model["templating"]["list"]:
        current = (variable.get("current") or {}).get("value")
        current = current[0] if isinstance(current, list) else current
        if current is not None:
            values[variable["name"]] = variable.get("allValue", ".*") if current == "$__all" else str(current)
    return values


def variable_options(prometheus_url: str, variable: dict[str, Any], values: dict[str, str],
                     at: float | None = None) -> list[str]:
    """The values a query variable offers, in its sort order, given the values of the variables before it."""
    query = _LABEL_VALUES.match(variable["query"])
    if not query:
        raise ValueError(f"variable {variable['name']}: unexpected query {variable['query']!r}")
    label = query["label"]
    answer = run_query(prometheus_url, f"group by ({label}) ({substitute(query['selector'], values)})", at)
    found = {r["metric"][label] for r in answer.get("data", {}).get("result", []) if r["metric"].get(label)}
    return sorted(found, reverse=variable.get("sort") == _DESCENDING)


def resolved_values(prometheus_url: str, model: dict[str, Any], at: float | None = None,
                    chosen: dict[str, str] | None = None) -> dict[str, str]:
    """:func:`variable_values` with ``chosen`` values put in, and each variable without a default set as Grafana
    sets it: to the first value it offers (empty when it offers none)."""
    values = variable_values(model) | dict(chosen or {})
    for variable in model["templating"]["list"]:
        if variable["name"] not in values:
            options = variable_options(prometheus_url, variable, values, at)
            values[variable["name"]] = options[0] if options else ""
    return values


def substitute(expr: str, values: dict[str, str]) -> str:
    """``expr`` with ``$name`` and ``${name}`` replaced; an unknown variable is an error (a typo in a panel)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise ValueError(f"unknown dashboard variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def run_query(prometheus_url: str, expr: str, at: float | None = None) -> dict[str, Any]:
    """One instant query (now, or at unix time ``at``); the API's JSON answer, also for a 4xx with an error body."""
    params = {"query": expr, **({"time": f"{at:.3f}"} if at is not None else {})}
    url = f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        answer = json.loads(exc.read())
    return answer


def failing_queries(prometheus_url: str, model: dict[str, Any], at: float | None = None,
                    require_data: bool | None = None, chosen: dict[str, str] | None = None) -> list[str]:
    """Each query that errors, or returns nothing where it must show data (at ``at``, the variables at their
    defaults or ``chosen``); empty when all is well."""
    failures, values = [], resolved_values(prometheus_url, model, at, chosen)
    for query in dashboard_queries(model, require_data):
        answer = run_query(prometheus_url, substitute(query.expr, values), at)
        if answer.get("status") != "success":
            failures.append(f"{query.where}: {answer.get('error')}  [{query.expr}]")
        elif query.needs_data and not answer["data"]["result"]:
            failures.append(f"{query.where}: no data  [{query.expr}]")
    return failures


def selector_runs(prometheus_url: str, model: dict[str, Any], values: dict[str, str],
                  at: float | None = None) -> list[tuple[str, str, set[tuple[str, str]]]]:
    """``(where, selector, {(pipeline, run_id)...})`` for each series selector of each query at ``values``
    (but those of the variables that list the pipelines and runs): which runs each one reads."""
    found = []
    for query in (q for q in dashboard_queries(model) if q.where not in CHOOSERS):
        for selector in _SELECTOR.findall(substitute(query.expr, values)):
            answer = run_query(prometheus_url, f"group by ({', '.join(IDENTITY)}) ({selector})", at)
            if answer.get("status") != "success":
                raise ValueError(f"{query.where}: {answer.get('error')} [{selector}]")
            runs = {(r["metric"].get(IDENTITY[0], ""), r["metric"].get(IDENTITY[1], ""))
                    for r in answer["data"]["result"]}
            found.append((query.where, selector, runs))
    return found
