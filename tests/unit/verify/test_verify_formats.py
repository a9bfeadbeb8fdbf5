"""Output formats of the verdict: text table, JSON, Markdown, JUnit, SVG plots, value formatting."""

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC

import pytest

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


def test_text_wraps_a_long_detail_and_says_the_window_as_people_do():
    long = result("restart_recovery", "fail")
    long.notes[:] = ["harvest: 1 restart(s), longest downtime 2.0 s; signal: 3 restart(s), longest downtime "
                     "15.0 s; broker (no data: coverage 40% of the window)"]
    out = FORMATTERS["text"](Verdict(Window.ending(1767229200, 172), "http://p", [long], False), UTC)
    lines = out.splitlines()
    assert "(2 min 52 s)" in lines[0]
    column = lines[2].index("DETAIL")
    detail = " ".join(line[column:] for line in lines[3:lines.index("", 3)])
    assert detail == long.notes[0] and all(len(line[column:]) <= 60 for line in lines[3:])


@pytest.mark.parametrize(("seconds", "shown"), [(45, "45 s"), (172, "2 min 52 s"), (3600, "1 h 0 min"),
                                                (3661, "1 h 1 min 1 s"), (59.6, "1 min 0 s")])
def test_durations(seconds, shown):
    assert values.duration(seconds) == shown


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
    assert ticks(out)[:2] == [0.0, 1.0] and all(t == int(t) for t in ticks(out))  # counts: whole-number ticks


def ticks(out: str) -> list[float]:
    return [float(v) for v in re.findall(r'class="tick" data-value="([^"]+)"', out)]


def bounds(out: str) -> tuple[float, float]:
    low, high = re.search(r'data-y-min="([^"]+)" data-y-max="([^"]+)"', out).groups()
    return float(low), float(high)


def flat(value: float, n: int = 61) -> list[tuple[float, float]]:
    return [(WINDOW.start + i * 60, value) for i in range(n)]


@pytest.mark.parametrize(("points", "threshold", "unit"), [
    ([(WINDOW.start + i * 60, (90 + i % 3) * 2**20) for i in range(61)], 600 * 2**20, "bytes"),  # RSS
    ([(WINDOW.start + i * 60, 0.0069 + 0.0001 * (i % 2)) for i in range(61)], 0.010, "seconds"),  # latency
    (flat(0.0), 0.0, "count"),  # all zero, threshold 0
    (flat(4.0), None, "seconds"),  # all equal, no threshold
    (flat(3.0), 12.0, "seconds"),
    (flat(0.0), 1.0, "bool"),
    ([(WINDOW.start, 0.0), (WINDOW.end, 0.0001)], 0.005, "ratio"),
])
def test_non_negative_values_never_get_a_negative_axis(points, threshold, unit):
    out = svg.plot([Series({}, points)], threshold, unit, WINDOW, UTC, "t")
    low, high = bounds(out)
    assert 0 <= low < high and all(low <= t <= high for t in ticks(out)) and len(ticks(out)) >= 2
    assert min(v for _, v in points) >= low and max(v for _, v in points) <= high
    assert threshold is None or low <= threshold <= high


def test_ratios_and_flags_stay_within_one_and_signed_values_keep_their_sign():
    out = svg.plot([Series({"process": "signal"}, flat(1.0))], 0.98, "ratio", WINDOW, UTC, "t")
    assert bounds(out)[1] == 1.0 and ">100%<" in out
    assert bounds(svg.plot([Series({}, flat(1.0))], 1.0, "bool", WINDOW, UTC, "t")) == (0.0, 1.0)
    growth = [(WINDOW.start + i * 60, (i - 30) * 2**20) for i in range(61)]
    low, high = bounds(svg.plot([Series({}, growth)], 50 * 2**20, "bytes/h", WINDOW, UTC, "t"))
    assert low <= -30 * 2**20 and high >= 50 * 2**20


def line_y(out: str, cls: str) -> set[str]:
    """Every y of the polylines (``series``) or the threshold line (``threshold``)."""
    if cls == "threshold":
        return set(re.findall(r'class="threshold" x1="[^"]+" x2="[^"]+" y1="([^"]+)"', out))
    return {p.split(",")[1] for pts in re.findall(r'class="series"[^>]*points="([^"]+)"', out) for p in pts.split()}


@pytest.mark.parametrize(("value", "unit"), [(5000.0, "msgs/s"), (0.010, "seconds"), (600 * 2**20, "bytes"),
                                             (0.98, "ratio"), (1.0, "per_minute"), (12.0, "seconds")])
def test_threshold_and_values_share_one_scale(value, unit):
    out = svg.plot([Series({}, flat(value))], value, unit, WINDOW, UTC, "t")
    assert line_y(out, "series") == line_y(out, "threshold")  # a value equal to the threshold sits on its line
    above = svg.plot([Series({}, flat(value * 1.5))], value, unit, WINDOW, UTC, "t")
    assert float(line_y(above, "series").pop()) < float(line_y(above, "threshold").pop())  # svg y grows down


def test_threshold_label_stays_inside_the_plot_away_from_the_legend():
    many = [Series({"process": f"p{i}"}, flat(float(i))) for i in range(14)]
    out = svg.plot(many, 3.0, "count", WINDOW, UTC, "t")
    label = re.search(r'class="threshold-label" x="([^"]+)" y="([^"]+)"[^>]*text-anchor="end"', out)
    legend_x = min(float(x) for x in re.findall(r'class="legend" x="([^"]+)"', out))
    assert float(label.group(1)) < svg.WIDTH - svg.RIGHT < legend_x
    assert svg.TOP < float(label.group(2)) < svg.HEIGHT - svg.BOTTOM
    assert ">+2 more<" in out and out.count('class="legend"') == svg.MAX_LEGEND + 1


def test_legend_shows_the_labels_that_differ_and_cuts_long_ones():
    shared = {"job": "soak_exporter", "instance": "127.0.0.1:9100", "run_id": "r1"}
    out = svg.plot([Series({**shared, "process": p}, flat(1.0)) for p in ("signal", "a_very_long_process_name_x")],
                   None, "count", WINDOW, UTC, "t")
    assert ">signal<" in out and "127.0.0.1" not in out.split("<title>")[0]
    assert ">a_very_long_process\u2026<" in out and "<title>a_very_long_process_name_x</title>" in out
    short = Window.ending(1767229200, 120)
    assert ">00:58:30<" in svg.plot([], None, "", short, UTC, "t")


def test_html_puts_failed_criteria_first_and_marks_them():
    from soakwatch.verify.formats import html

    out = html.render(verdict(result("tick_rate", "pass"), result("resources", "fail")), UTC)
    summary = out[out.index("<table>"):out.index("</table>")]
    assert summary.index("resources") < summary.index("tick_rate")
    assert '<tr class="bad"><td><a href="#resources">' in summary and '<tr><td><a href="#tick_rate">' in summary
    assert out.index('<section id="resources">') < out.index('<section id="tick_rate">')


def test_html_alert_timeline_links_each_runbook():
    from soakwatch.verify.formats import html

    fired = [{"rule_name": "SoakProcessDown", "level": "critical", "trigger_time": "2026-01-01T00:10:00+00:00",
              "recovery_time": None, "details": {"process": "signal"}}]
    out = html.render(verdict(result("tick_rate", "pass")), UTC, alerts=fired,
                      runbook_base="http://127.0.0.1:9096/runbooks/")
    assert '<a href="http://127.0.0.1:9096/runbooks/SoakProcessDown.md">SoakProcessDown.md</a>' in out
    assert "still firing at the window end" in out and "process=signal" in out
    quiet = html.render(verdict(result("tick_rate", "pass")), UTC, alerts=[])
    assert "No soak alert fired in the window." in quiet


@pytest.mark.parametrize("seconds", [75, 172, 3600, 43200, 86400, 7 * 86400])
def test_time_axis_labels_never_repeat(seconds):
    w = Window.ending(1767229200, seconds)
    series = [Series({}, [(w.start + i * w.step, 5.0 + i % 3) for i in range(int(seconds / w.step) + 1)])]
    out = svg.plot(series, 6.0, "msgs/s", w, UTC, "t")
    labels = re.findall(r'text-anchor="middle"[^>]*>([^<]*)<', out)
    assert len(labels) >= 3 and len(labels) == len(set(labels)), labels
