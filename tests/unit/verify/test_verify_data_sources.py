"""Each criterion's data source, from soak_exporter_source_info, in verdict.json and the reports."""

import json
from datetime import UTC

from test_verify_formats import result, verdict

from soakwatch.verify import sources
from soakwatch.verify.formats import FORMATTERS
from soakwatch.verify.formats.html import sections

FOUND = {"health": ["liveness"], "signals": ["jsonl"], "harvester": ["manifest"], "sinks": ["jsonl+sqlite"]}


class _Querier:
    def __init__(self, samples=None, fail=None):
        self.samples, self.fail, self.queries = samples or [], fail, []

    def instant(self, expr):
        self.queries.append(expr)
        if self.fail:
            raise self.fail
        return self.samples


def test_each_criterion_names_the_source_of_its_data():
    assert sources.describe("health_green", "built-in", FOUND) == "health: liveness only (process up, no heartbeats)"
    assert sources.describe("harvester_slo", "built-in", FOUND) == "harvester: manifest"
    assert sources.describe("sink_parity", "built-in", FOUND) == "sinks: jsonl+sqlite"
    assert sources.describe("tick_rate", "built-in", FOUND) == "probe (tick probe on NATS)"
    assert sources.describe("export_rate", "built-in", FOUND).startswith("exports: not reported")
    assert sources.describe("health_green", "built-in", None) == "health: unknown (the store did not answer)"
    assert sources.describe("my_check", "custom", FOUND) == "custom query"
    assert set(sources.DATA) == set(__import__("soakwatch.verify.criteria", fromlist=["ORDER"]).ORDER)


def test_one_query_reads_every_source_and_a_refusal_leaves_them_unknown():
    from soakwatch.verify.promapi import PrometheusRejected

    q = _Querier([({"data": "health", "source": "heartbeats"}, 1.0), ({"data": "health", "source": "liveness"}, 1.0),
                  ({"data": "signals", "source": "nats"}, 1.0)])
    results = [result("health_green", "pass"), result("tick_rate", "pass")]
    sources.annotate(results, q)
    assert q.queries == [sources.QUERY]
    assert results[0].data_source == "health: heartbeats, liveness only (process up, no heartbeats)"
    assert sources.read(_Querier(fail=PrometheusRejected("bad"))) is None


def test_the_source_is_in_verdict_json_and_every_report():
    health = result("health_green", "pass", per_process=True)
    health.data_source = sources.describe("health_green", "built-in", FOUND)
    v = verdict(health)
    doc = json.loads(FORMATTERS["json"](v, UTC))["criteria"][0]
    assert doc["source"] == "health: liveness only (process up, no heartbeats)" and doc["origin"] == "built-in"
    assert "- Data source: health: liveness only (process up, no heartbeats)" in FORMATTERS["markdown"](v, UTC)
    assert "  health_green: health: liveness only (process up, no heartbeats)" in FORMATTERS["text"](v, UTC)
    assert "data source: health: liveness only (process up, no heartbeats)" in sections(v, UTC)
