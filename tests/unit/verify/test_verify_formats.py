"""Output formats of the verdict: text table, JSON, Markdown, JUnit, SVG plots, value formatting."""

import json
import math
import xml.etree.ElementTree as ET
from datetime import UTC

from soakwatch.verify.engine import CheckResult, CriterionResult, Series, Verdict
from soakwatch.verify.formats import FORMATTERS, svg, values
from soakwatch.verify.window import Window

WINDOW = Window.ending(1767229200, 3600)


def result(cid, status, per_process=False, value=6000.0, severity="critical"):
    check = CheckResult("rate", "sum(rate(x[3600s]))", ">=", 5000.0, "msgs/s",
                        {"broker": value, "signal": 1.0} if per_process else {"": value},
                        ["signal"] if per_process else [])
    keys = {"broker": "pass", "signal": status} if per_process else {"": status}
    series = [Series({}, [(WINDOW.start + i * 60, 6000.0 + i) for i in range(61)])]
    return CriterionResult(cid, f"{cid} description", severity, status, [check], keys, {"": 1.0}, per_process,
                           [], series, 5000.0, "msgs/s", "built-in")


def verdict(*results, strict=False):
    return Verdict(WINDOW, "http://127.0.0.1:9090", list(results), strict)


def test_text_is_a_table_with_the_verdict_last():
    out = FORMATTERS["text"](verdict(result("tick_rate", "pass"), result("resources", "fail", per_process=True)), UTC)
    lines = out.rstrip("\n").splitlines()
    assert lines[2].split() == ["CRITERION", "RESULT", "CHECK", "MEASURED", "THRESHOLD", "DETAIL"]
    assert lines[3].split() == ["tick_rate", "PASS", "rate", "6,000", "msgs/s", ">=", "5,000", "msgs/s"]
    assert "failed: signal (fail)" in lines[4] and "1 msgs/s (fail)" in lines[4]
    assert lines[-1] == "verdict: FAIL (1/2 criteria passed; failed: resources)"
    assert "\x1b[" not in out


def test_text_colours_only_when_asked():
    out = FORMATTERS["text"](verdict(result("tick_rate", "pass")), UTC, color=True)
    assert "\x1b[32mPASS" in out and out.rstrip().endswith("\x1b[0m")


def test_warnings_fail_only_when_strict():
    warn = result("tick_latency", "warn", severity="warning")
    assert verdict(warn).exit_code == 0
    assert verdict(warn, strict=True).exit_code == 1
    assert values.verdict_line([warn], True, False) == "verdict: PASS (1/1 criteria passed; warnings: tick_latency)"


def test_no_data_fails():
    assert verdict(result("tick_rate", "no data")).exit_code == 1


def test_json_document():
    doc = json.loads(FORMATTERS["json"](verdict(result("resources", "fail", per_process=True)), UTC))
    assert doc["verdict"] == "fail" and doc["exit_code"] == 1
    criterion = doc["criteria"][0]
    assert criterion["failed_processes"] == ["signal"]
    assert criterion["checks"][0]["value"] == 1.0  # the worst value of a ">=" check is the lowest
    assert doc["window"]["start"] == "2026-01-01T00:00:00+00:00"


def test_junit_has_one_testcase_per_criterion():
    out = FORMATTERS["junit"](verdict(result("tick_rate", "pass"), result("parse_gaps", "no data"),
                                      result("tick_latency", "warn", severity="warning")), UTC)
    suite = ET.fromstring(out.split("\n", 1)[1])
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["tick_rate", "parse_gaps", "tick_latency"]
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    assert cases["parse_gaps"].find("failure").get("type") == "no data"
    assert cases["tick_latency"].find("failure") is None


def test_markdown_table_and_sections():
    out = FORMATTERS["markdown"](verdict(result("resources", "fail", per_process=True)), UTC)
    assert "| `resources` | FAIL |" in out
    assert "| signal | FAIL |" in out
    assert out.rstrip().endswith("**verdict: FAIL (0/1 criteria passed; failed: resources)**")


def test_svg_splits_series_at_gaps_and_draws_the_threshold():
    points = [(WINDOW.start + i * 60, math.nan if 20 <= i < 30 else 1.0) for i in range(61)]
    out = svg.plot([Series({"process": "signal"}, points)], 2.0, "count", WINDOW, UTC, "t")
    assert out.count('class="series"') == 2
    assert out.count('class="threshold"') == 1 and ">signal<" in out
    empty = svg.plot([], None, "", WINDOW, UTC, "t")
    assert "no data" in empty and 'class="threshold"' not in empty


def test_value_formatting():
    assert values.fmt(5012.4, "msgs/s") == "5,012 msgs/s"
    assert values.fmt(0.0005, "ratio") == "0.05%"
    assert values.fmt(0.0041, "seconds") == "4.1 ms"
    assert values.fmt(12.0, "seconds") == "12 s"
    assert values.fmt(600 * 2**20, "bytes") == "600.0 MB"
    assert values.fmt(None, "count") == values.fmt(math.nan, "count") == "-"


def test_legend_drops_the_shared_prefix_and_total():
    names = [{"__name__": f"soak_harvester_{n}_total"} for n in ("queue_dropped", "reconnects")]
    out = svg.plot([Series(labels, [(WINDOW.start, 0.0), (WINDOW.end, 1.0)]) for labels in names], 0.0, "count",
                   WINDOW, UTC, "t")
    assert ">queue_dropped<" in out and ">reconnects<" in out
    assert ">0.5<" in out  # axis ticks keep digits that the count format would round away
