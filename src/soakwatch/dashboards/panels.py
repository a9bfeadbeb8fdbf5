"""Shared Grafana panel factories: Prometheus queries, thresholds, time series, stats and rows."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.builders import dashboard as dash_b
from grafana_foundation_sdk.builders import prometheus as prom_b
from grafana_foundation_sdk.builders import stat as stat_b
from grafana_foundation_sdk.builders import timeseries as ts_b
from grafana_foundation_sdk.models import common, dashboard

# The provisioned Prometheus datasource (grafana/provisioning/datasources/prometheus.yml uses this uid).
DATASOURCE = dashboard.DataSourceRef(type_val="prometheus", uid="prometheus")
GOOD, BAD, WARN = "green", "red", "orange"
# Grafana variable filters every soak_ selector carries.
JOB = 'job=~"$job"'
PROCESS = 'process=~"$process"'
Steps = Sequence[tuple[float | None, str]]


def query(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> prom_b.Dataquery:
    """One PromQL target of a panel."""
    target = prom_b.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    target = target.legend_format(legend or "__auto")
    return target.instant() if instant else target.range()


def queries(*pairs: tuple[str, str], instant: bool = False) -> list[prom_b.Dataquery]:
    """Targets A, B, C... from ``(expr, legend)`` pairs."""
    return [query(expr, legend, chr(ord("A") + i), instant) for i, (expr, legend) in enumerate(pairs)]


def thresholds(steps: Steps) -> dash_b.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (from -inf)."""
    return dash_b.ThresholdsConfig().mode(dashboard.ThresholdsMode.ABSOLUTE).steps(
        [dashboard.Threshold(value=value, color=color) for value, color in steps]
    )


def below_is_bad(limit: float) -> Steps:
    """Red under ``limit``, green from it (e.g. tick rate >= 5,000)."""
    return ((None, BAD), (limit, GOOD))


def above_is_bad(limit: float) -> Steps:
    """Green under ``limit``, red from it (e.g. p99 latency, open fds)."""
    return ((None, GOOD), (limit, BAD))


def timeseries(
    title: str, description: str, unit: str, targets: Sequence[prom_b.Dataquery],
    steps: Steps | None = None, width: int = 12, height: int = 8, min_val: float | None = 0,
) -> ts_b.Panel:
    """A time series panel; ``steps`` are drawn on the graph as dashed threshold lines."""
    panel = (
        ts_b.Panel().title(title).description(description).unit(unit).datasource(DATASOURCE)
        .targets(list(targets)).span(width).height(height).line_width(1).fill_opacity(10)
        .legend(common_b.VizLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.LIST)
                .placement(common.LegendPlacement.BOTTOM))
        .tooltip(common_b.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.NONE))
    )
    if min_val is not None:
        panel = panel.min(min_val)
    if steps:
        panel = panel.thresholds(thresholds(steps)).thresholds_style(
            common_b.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
    return panel


def stat(
    title: str, description: str, unit: str, targets: Sequence[prom_b.Dataquery], steps: Steps,
    width: int = 6, height: int = 5, calc: str = "lastNotNull",
) -> stat_b.Panel:
    """A single-value panel coloured by ``steps``."""
    return (
        stat_b.Panel().title(title).description(description).unit(unit).datasource(DATASOURCE)
        .targets(list(targets)).span(width).height(height).thresholds(thresholds(steps))
        .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.AREA)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .reduce_options(common_b.ReduceDataOptions().calcs([calc]).values(False))
    )


def row(title: str) -> dash_b.Row:
    return dash_b.Row(title)


def query_variable(name: str, label: str, query_text: str) -> dash_b.QueryVariable:
    """A multi-select variable with "All" (matching every value, also none)."""
    return (
        dash_b.QueryVariable(name).label(label).query(query_text).datasource(DATASOURCE)
        .refresh(dashboard.VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True)
        .all_value(".*").sort(dashboard.VariableSort.ALPHABETICAL_ASC)
        .current(dashboard.VariableOption(selected=True, text="All", value="$__all"))
    )


def alerts_annotation(name: str, matchers: str, color: str) -> dash_b.AnnotationQuery:
    """Firing alerts (the ALERTS series) selected by ``matchers`` as annotations."""
    return (
        dash_b.AnnotationQuery().name(name).datasource(DATASOURCE).enable(True).icon_color(color)
        .expr(f'ALERTS{{alertstate="firing", {matchers}}}')
    )
