"""The counting rule of verify-soak on fake raw samples: resets, the base before the window, late series."""

from __future__ import annotations

from typing import Any

import pytest

from soakwatch.verify.counting import Counter, cumulative, increments, ratio, spacing
from soakwatch.verify.querier import Querier, QueryLog
from soakwatch.verify.window import Window

START, END = 1000.0, 1600.0


def matrix(*series: tuple[dict[str, str], list[tuple[float, float]]]) -> dict[str, Any]:
    return {"resultType": "matrix",
            "result": [{"metric": labels, "values": [[t, str(v)] for t, v in points]} for labels, points in series]}


class FakeClient:
    """Answers instant queries from a table of query prefixes; records what was asked."""

    url = "http://fake"

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers, self.asked = answers, []

    def query(self, expr: str, at: float) -> dict[str, Any]:
        self.asked.append(expr)
        return next((data for prefix, data in self.answers.items() if expr.startswith(prefix)), matrix())


def counter(answers: dict[str, dict[str, Any]]) -> tuple[Counter, FakeClient, QueryLog]:
    client, log = FakeClient(answers), QueryLog()
    return Counter(Querier(client, Window(START, END), log, "test")), client, log  # type: ignore[arg-type]


def test_base_is_the_last_sample_at_or_before_the_window_start():
    points = [(940.0, 5.0), (1000.0, 7.0), (1060.0, 9.0), (1120.0, 12.0)]
    assert increments(points, START, counts_first=True) == [(1060.0, 2.0), (1120.0, 3.0)]


def test_a_drop_is_a_reset_from_zero():
    points = [(1000.0, 10.0), (1060.0, 12.0), (1120.0, 1.0), (1180.0, 4.0), (1240.0, 0.0), (1300.0, 2.0)]
    assert sum(i for _, i in increments(points, START, counts_first=True)) == 2 + 1 + 3 + 0 + 2


def test_a_series_born_in_the_window_counts_its_first_value_only_when_told():
    points = [(1200.0, 2.0), (1260.0, 2.0), (1320.0, 5.0)]
    assert increments(points, START, counts_first=True) == [(1200.0, 2.0), (1260.0, 0.0), (1320.0, 3.0)]
    assert increments(points, START, counts_first=False)[0] == (1200.0, 0.0)


def test_late_label_set_counts_when_its_exporter_was_scraped_before():
    c, _, log = counter({
        "soak_harvester_queue_dropped_total[": matrix(({"job": "soak_exporter", "instance": "a:1"},
                                                        [(1200.0, 2.0), (1260.0, 2.0)])),
        'soak_exporter_info{job="soak_exporter",instance="a:1"}[': matrix(({}, [(900.0, 1.0), (1200.0, 1.0)])),
    })
    assert c.total("soak_harvester_queue_dropped_total") == 2.0
    assert next(e["query"] for e in log.entries) == "soak_harvester_queue_dropped_total[900s]"


def test_late_series_of_an_exporter_started_inside_the_window_counts():
    c, _, _ = counter({
        "soak_timeseries_export_errors_total[": matrix(({"job": "j", "instance": "i"}, [(1300.0, 1.0)])),
        'soak_exporter_info{job="j",instance="i"}[': matrix(({}, [(1300.0, 1.0)])),
        'process_start_time_seconds{job="j",instance="i"}[': matrix(({}, [(1300.0, 1290.0)])),
    })
    assert c.total("soak_timeseries_export_errors_total") == 1.0


def test_first_value_of_an_exporter_started_before_the_window_and_first_seen_with_it_is_not_counted():
    c, _, _ = counter({
        "soak_timeseries_export_errors_total[": matrix(({"job": "j", "instance": "i"}, [(1300.0, 4.0), (1360.0, 5.0)])),
        'soak_exporter_info{job="j",instance="i"}[': matrix(({}, [(1300.0, 1.0)])),
        'process_start_time_seconds{job="j",instance="i"}[': matrix(({}, [(1300.0, 500.0)])),
    })
    assert c.total("soak_timeseries_export_errors_total") == 1.0
    assert "not counted" in c.notes[0]


def test_unknown_producer_counts_the_first_value():
    c, client, _ = counter({"soak_nats_reconnects_total[": matrix(({}, [(1100.0, 3.0)]))})
    assert c.total("soak_nats_reconnects_total") == 3.0
    assert any(q.startswith('process_start_time_seconds{job="",instance=""}') for q in client.asked)


def test_no_series_is_none_and_series_with_a_base_ask_nothing_about_producers():
    c, client, _ = counter({"soak_nats_messages_total[": matrix(({}, [(990.0, 1.0), (1590.0, 9.0)]))})
    assert c.total("soak_nats_reconnects_total") is None
    assert c.total("soak_nats_messages_total") == 8.0
    assert not any("soak_exporter_info" in q for q in client.asked)


def test_totals_by_label_sum_or_max():
    c, _, _ = counter({"soak_health_checks_total[": matrix(
        ({"process": "a", "status": "healthy"}, [(990.0, 0.0), (1500.0, 10.0)]),
        ({"process": "a", "status": "healthy", "instance": "x"}, [(990.0, 0.0), (1500.0, 4.0)]),
        ({"process": "b", "status": "healthy"}, [(990.0, 0.0), (1500.0, 6.0)]))})
    assert c.totals("soak_health_checks_total", ("process",)) == {("a",): 14.0, ("b",): 6.0}
    assert c.totals("soak_health_checks_total", ("process",), combine="max") == {("a",): 10.0, ("b",): 6.0}


def test_cumulative_and_ratio_plots_end_at_the_counted_totals():
    c, _, _ = counter({"soak_health_checks_total[": matrix(
        ({"status": "healthy"}, [(990.0, 0.0), (1300.0, 3.0), (1600.0, 6.0)]),
        ({"status": "missing"}, [(990.0, 0.0), (1300.0, 1.0), (1600.0, 2.0)]))})
    counted = c.series("soak_health_checks_total")
    whole = cumulative(counted, START)
    healthy = cumulative([s for s in counted if s.labels["status"] == "healthy"], START)
    assert whole[-1] == (1600.0, 8.0)
    assert ratio(healthy, whole)[-1] == (1600.0, pytest.approx(0.75))


def test_spacing_is_the_median_sample_distance():
    assert spacing([(0.0, 0), (15.0, 0), (30.0, 0), (60.0, 0)]) == 15.0


def test_thin_keeps_each_steps_peak_and_last_point():
    from soakwatch.verify.engine import thin
    points = [(0.0, 1.0), (1.0, 5.0), (2.0, 2.0), (10.0, 0.0), (11.0, 3.0)]
    assert thin(points, 10.0) == [(1.0, 5.0), (2.0, 2.0), (11.0, 3.0)]
