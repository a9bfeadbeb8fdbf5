"""The compare: section of the criteria file."""

from __future__ import annotations

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.compare.config import CompareSettings, parse
from soakwatch.verify.config import parse_settings


def test_overrides_disables_and_adds_metrics():
    s = parse({"tolerance": "5%", "alpha": 0.05, "min_samples": 20, "baseline_spread": 2, "metrics": {
        "tick_latency_p99": {"tolerance": 0.2, "min_change": 0.001},
        "cpu": {"enabled": False},
        "queue_depth": {"query": "max(max_over_time(soak_harvester_queue_depth[$interval]))", "better": "lower",
                        "unit": "count"},
    }})
    by_name = {m.name: m for m in s.metrics}
    assert (s.tolerance, s.alpha, s.min_samples, s.baseline_spread) == (0.05, 0.05, 20, 2.0)
    assert "cpu" not in by_name and s.tolerance_of(by_name["tick_latency_p99"]) == 0.2
    assert by_name["tick_latency_p99"].min_change == 0.001 and s.tolerance_of(by_name["rss"]) == 0.05
    assert by_name["queue_depth"].render(30) == "max(max_over_time(soak_harvester_queue_depth[30s]))"


@pytest.mark.parametrize(("section", "message"), [
    ({"tolerance": -0.1}, "compare.tolerance must be >= 0"),
    ({"alpha": 1.5}, "compare.alpha must be > 0 and < 1"),
    ({"min_samples": 2}, "compare.min_samples must be a whole number >= 3"),
    ({"metrics": {"rss": {"better": "lower"}}}, "compare.metrics.rss.better is not a known option"),
    ({"metrics": {"mine": {"query": "up"}}}, "compare.metrics.mine.better is required for a new metric"),
    ({"metrics": {"mine": {"query": "up", "better": "up"}}}, "compare.metrics.mine.better must be higher or lower"),
    ({"metrics": {"rss": {"stat": "p90"}}}, "compare.metrics.rss.stat must be median or mean"),
    ({"metrics": {"nope": {"enabled": False}}}, "compare.metrics.nope is not a metric"),
    ({"colour": 1}, "compare.colour is not a known option"),
    ({"min_coverage": 0}, "compare.min_coverage must be > 0 and <= 1"),
    ({"baseline_spread": -1}, "compare.baseline_spread must be >= 0"),
])
def test_bad_settings_name_the_field_and_rule(section, message):
    with pytest.raises(ConfigError, match="invalid config: " + message.replace(".", r"\.")):
        parse(section)


def test_verify_soak_accepts_a_criteria_file_with_a_compare_section():
    assert parse_settings({"compare": {"tolerance": 0.2}}).min_coverage == 0.9
    assert parse({}) == CompareSettings()
