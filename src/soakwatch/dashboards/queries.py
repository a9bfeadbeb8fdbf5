"""The PromQL of a built dashboard: every panel target, variable and annotation, ready to run as Grafana would."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NamedTuple

# What Grafana puts in for its variables when All is selected.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1m", "$job": ".*", "$process": ".*"}
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*\w+\)$")


class Query(NamedTuple):
    where: str  # "panel 'Tick rate' A", "variable process", "annotation 'Alerts'"
    expr: str
    needs_data: bool  # panels and variables must show something; annotations may be empty


def dashboard_queries(model: dict[str, Any]) -> list[Query]:
    """Every expression of a dashboard model (the JSON Grafana loads)."""
    found = [Query(f"panel {panel['title']!r} {target['refId']}", target["expr"], True)
             for panel in model["panels"] for target in panel.get("targets", [])]
    for variable in model["templating"]["list"]:
        selector = _LABEL_VALUES.match(variable["query"])
        if not selector:
            raise ValueError(f"variable {variable['name']}: unexpected query {variable['query']!r}")
        found.append(Query(f"variable {variable['name']}", selector["selector"], True))
    found += [Query(f"annotation {a['name']!r}", a["expr"], False) for a in model["annotations"]["list"]]
    return found


def substitute(expr: str, variables: dict[str, str] = GRAFANA_VARIABLES) -> str:
    for name, value in variables.items():
        expr = expr.replace(name, value)
    return expr


def run_query(prometheus_url: str, expr: str, at: float | None = None) -> dict[str, Any]:
    """One instant query (now, or at unix time ``at``); the API's JSON answer, also for a 4xx with an error body."""
    params = {"query": substitute(expr), **({"time": f"{at:.3f}"} if at is not None else {})}
    url = f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        answer = json.loads(exc.read())
    return answer


def failing_queries(prometheus_url: str, model: dict[str, Any], at: float | None = None) -> list[str]:
    """Each query that errors, or returns nothing where it must show data (at ``at``); empty when all is well."""
    failures = []
    for query in dashboard_queries(model):
        answer = run_query(prometheus_url, query.expr, at)
        if answer.get("status") != "success":
            failures.append(f"{query.where}: {answer.get('error')}  [{query.expr}]")
        elif query.needs_data and not answer["data"]["result"]:
            failures.append(f"{query.where}: no data  [{query.expr}]")
    return failures
