"""A plot ends at the value its check measured: the tick-rate running mean reaches the window's end."""

from __future__ import annotations

from typing import Any

from soakwatch.verify.criteria.probe import TICK_RATE
from soakwatch.verify.querier import Querier, QueryLog
from soakwatch.verify.window import Window

WINDOW = Window.ending(1767229200, 188)


class RawSamples:
    """Answers every raw-sample query with one counter that stops rising 8 s before the window's end."""

    url = "http://127.0.0.1:9090"

    def query(self, expr: str, at: float) -> dict[str, Any]:
        if not expr.startswith("soak_nats_messages_total["):
            return {"resultType": "matrix", "result": []}
        times = [WINDOW.start - 5 + 5 * i for i in range(38)]  # the last sample is at end - 8 s
        values = [[t, str(6000 * max(0.0, t - WINDOW.start))] for t in times]
        return {"resultType": "matrix", "result": [{"metric": {"job": "soak_probe"}, "values": values}]}


def test_the_tick_rate_plot_ends_at_the_measured_rate() -> None:
    q = Querier(RawSamples(), WINDOW, QueryLog(), "tick_rate")  # type: ignore[arg-type]
    m = TICK_RATE.measure(q)
    rate = m.values["rate"][""]
    last_t, last_value = m.series[0].points[-1]
    assert last_t == WINDOW.end and last_value == rate
    assert rate < 6000  # the 8 quiet seconds at the end count against the mean, in the number and the plot
