"""Window parsing of verify-soak: durations, times, timezones, step."""

import pytest

from soakwatch.errors import ConfigError
from soakwatch.verify.querier import expected_points
from soakwatch.verify.window import Window, parse_duration, parse_time, parse_tz


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1d", 86400),
                                               ("1w", 604800), ("1500ms", 1.5), ("2h0m5s", 7205)])
def test_prometheus_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "60", "5 m", "1x", "m5", "0s", "-5m"])
def test_bad_durations_name_the_flag(text):
    with pytest.raises(ConfigError, match=r"^invalid config: --since must be"):
        parse_duration(text)


def test_times_rfc3339_and_unix():
    assert parse_time("1767229200") == 1767229200.0
    assert parse_time("1767229200.25") == 1767229200.25
    assert parse_time("2026-01-01T01:00:00Z") == 1767229200.0
    assert parse_time("2026-01-01T10:00:00+09:00") == 1767229200.0


@pytest.mark.parametrize("text", ["yesterday", "2026-01-01T01:00:00", "2026-13-01T00:00:00Z"])
def test_bad_times_name_the_flag(text):
    with pytest.raises(ConfigError, match=r"^invalid config: --until"):
        parse_time(text)


def test_timezones():
    assert Window(0, 3600).iso(0, parse_tz("Asia/Tokyo")) == "1970-01-01T09:00:00+09:00"
    with pytest.raises(ConfigError, match="--tz must be an IANA timezone"):
        parse_tz("Mars/Olympus")


def test_step_and_points_scale_with_the_window():
    hour, day = Window.ending(7200, 3600), Window.ending(86400 * 2, 86400)
    assert (hour.step, hour.promql, hour.rate_window) == (10.0, "3600s", "60s")
    assert (day.step, day.promql, day.rate_window) == (240.0, "86400s", "480s")
    assert expected_points(hour) == 361 and expected_points(day) == 361
