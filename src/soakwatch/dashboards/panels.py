"""Shared Grafana panel factories: the datasource and filter variables, queries, thresholds, time series, stats, rows.

Every panel, target, variable and annotation refers to the datasource through
the ``datasource`` template variable, so a dashboard imported into any Grafana
uses that Grafana's Prometheus. The filter variables (``pipeline``, ``run``,
``job``, ``process``) live here too: ``selector()`` puts them into every soak_
series, so a new filter is one more entry in ``SERIES_FILTERS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.builders import dashboard as dash_b
from grafana_foundation_sdk.builders import prometheus as prom_b
from grafana_foundation_sdk.builders import stat as stat_b
from grafana_foundation_sdk.builders import timeseries as ts_b
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common, dashboard

# The Prometheus that grafana/provisioning/datasources/prometheus.yml provisions: the variable's default.
DATASOURCE = dashboard.DataSourceRef(type_val="prometheus", uid="prometheus")
DATASOURCE_NAME = "Prometheus"
# What every panel, target, variable and annotation uses: the datasource variable.
DATASOURCE_VARIABLE = "datasource"
DS = dashboard.DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")
GOOD, BAD, WARN, NEUTRAL = "green", "red", "orange", "blue"
Steps = Sequence[tuple[float | None, str]]


@dataclass(frozen=True)
class Filter:
    """A query variable and the label matcher it puts into selectors: multi-select with All (matches every value),
    or ``single``: one value, the first offered by default (no All), matched exactly."""

    name: str
    label: str
    values_of: str  # the metric whose label values the variable offers ...
    fixed: tuple[str, ...] = ()  # ... narrowed by these matchers
    key: str = ""  # the label (default: the variable's name)
    single: bool = False
    newest_first: bool = False  # values sorted descending (run ids start with their UTC start time)

    @property
    def label_name(self) -> str:
        return self.key or self.name

    @property
    def matcher(self) -> str:
        return f'{self.label_name}="${self.name}"' if self.single else f'{self.label_name}=~"${self.name}"'

    def variable(self, *narrowed_by: Filter) -> dash_b.QueryVariable:
        """The variable; its values narrowed by the current values of ``narrowed_by``."""
        source = selector(self.values_of, *narrowed_by, fixed=self.fixed)
        sort = dashboard.VariableSort
        order = sort.ALPHABETICAL_DESC if self.newest_first else sort.ALPHABETICAL_ASC
        variable = (
            dash_b.QueryVariable(self.name).label(self.label).query(f"label_values({source}, {self.label_name})")
            .datasource(DS).refresh(dashboard.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(order)
        )
        if self.single:
            return variable.multi(False).include_all(False)
        return variable.multi(True).include_all(True).all_value(".*").current(
            dashboard.VariableOption(selected=True, text="All", value="$__all"))


_SCRAPED = ('job=~"soak_.*"',)  # the soak jobs' `up`: every scraped soak target, with its target labels
PIPELINE = Filter("pipeline", "Pipeline", "up", _SCRAPED)
RUN = Filter("run", "Run", "up", _SCRAPED, key="run_id", single=True, newest_first=True)
JOB = Filter("job", "Job", "up", _SCRAPED)
PROCESS = Filter("process", "Process", "soak_process_up")
# The run's identity (the target labels `pipeline` and `run_id`): also for ALERTS, `up` and pushed series.
RUN_FILTERS: tuple[Filter, ...] = (PIPELINE, RUN)
# The filters every soak_ series of a run carries.
SERIES_FILTERS: tuple[Filter, ...] = (*RUN_FILTERS, JOB)


def chained(*filters: Filter) -> list[dash_b.QueryVariable]:
    """The variables of ``filters``, each offering only the values that match the ones before it."""
    return [f.variable(*filters[:i]) for i, f in enumerate(filters)]


def run_variables(*extra: Filter) -> list[dash_b.QueryVariable]:
    """The variables of ``SERIES_FILTERS`` and then ``extra``, chained."""
    return chained(*SERIES_FILTERS, *extra)


def selector(metric: str, *filters: Filter, fixed: Sequence[str] = ()) -> str:
    """``metric{fixed..., name=~"$name"...}``: a series narrowed by fixed matchers and dashboard filters."""
    matchers = [*fixed, *(f.matcher for f in filters)]
    return f"{metric}{{{', '.join(matchers)}}}" if matchers else metric


def series(metric: str, *extra: Filter, fixed: Sequence[str] = ()) -> str:
    """A soak_ series of the run the dashboard shows: every filter of ``SERIES_FILTERS`` plus ``extra``."""
    return selector(metric, *SERIES_FILTERS, *extra, fixed=fixed)


def datasource_variable() -> dash_b.DatasourceVariable:
    """The Prometheus datasource picker; defaults to the provisioned one (any Prometheus when that is absent)."""
    return (
        dash_b.DatasourceVariable(DATASOURCE_VARIABLE).label("Data source").type("prometheus")
        .current(dashboard.VariableOption(selected=True, text=DATASOURCE_NAME, value=DATASOURCE.uid or ""))
        .multi(False).include_all(False).regex("")
    )


def choice_variable(name: str, label: str, choices: Sequence[str], default: str) -> dash_b.CustomVariable:
    """A single-select variable offering fixed ``choices``; its matcher is ``name="$name"``."""
    options = [dashboard.VariableOption(selected=choice == default, text=choice, value=choice) for choice in choices]
    return (
        dash_b.CustomVariable(name).label(label).values(",".join(choices)).options(options)
        .current(dashboard.VariableOption(selected=True, text=default, value=default)).multi(False)
        .include_all(False)
    )


def new_dashboard(title: str, uid: str, tags: Sequence[str], refresh: str, since: str, description: str
                  ) -> dash_b.Dashboard:
    """A read-only dashboard showing ``now-<since>`` to now in the browser's time zone, crosshair shared."""
    return (
        dash_b.Dashboard(title).uid(uid).tags(list(tags)).refresh(refresh).time(since, "now").timezone("browser")
        .tooltip(dashboard.DashboardCursorSync.CROSSHAIR).readonly().description(description)
    )


def with_rows(board: dash_b.Dashboard, rows: Sequence[tuple[str, Sequence[cogbuilder.Builder[dashboard.Panel]]]]
              ) -> dash_b.Dashboard:
    """Each row title followed by its panels, in order."""
    for title, row_panels in rows:
        board = board.with_row(row(title))
        for panel in row_panels:
            board = board.with_panel(panel)
    return board


def with_variables(board: dash_b.Dashboard, *variables: dash_b.QueryVariable | dash_b.CustomVariable
                   ) -> dash_b.Dashboard:
    """The datasource variable first, then ``variables`` in order."""
    board = board.with_variable(datasource_variable())
    for variable in variables:
        board = board.with_variable(variable)
    return board


def query(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> prom_b.Dataquery:
    """One PromQL target of a panel."""
    target = prom_b.Dataquery().expr(expr).ref_id(ref).datasource(DS)
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
    """Red under ``limit``, green from it (a pass bar: ``value >= limit``)."""
    return ((None, BAD), (limit, GOOD))


def above_is_bad(limit: float, color: str = BAD) -> Steps:
    """Green under ``limit``, red from it (a limit the value must stay under: ``value < limit``)."""
    return ((None, GOOD), (limit, color))


def more_than_is_bad(allowed: float, color: str = BAD) -> Steps:
    """For whole counts: green up to ``allowed``, red from ``allowed + 1`` (Grafana colours ``value >= step``)."""
    return above_is_bad(allowed + 1, color)


NO_STEPS: Steps = ((None, NEUTRAL),)  # a figure without a pass bar


def timeseries(
    title: str, description: str, unit: str, targets: Sequence[prom_b.Dataquery],
    steps: Steps | None = None, width: int = 12, height: int = 8, min_val: float | None = 0,
) -> ts_b.Panel:
    """A time series panel; ``steps`` are drawn on the graph as dashed threshold lines."""
    panel = (
        ts_b.Panel().title(title).description(description).unit(unit).datasource(DS)
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
        stat_b.Panel().title(title).description(description).unit(unit).datasource(DS)
        .targets(list(targets)).span(width).height(height).thresholds(thresholds(steps))
        .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.AREA)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .reduce_options(common_b.ReduceDataOptions().calcs([calc]).values(False))
    )


def row(title: str) -> dash_b.Row:
    return dash_b.Row(title)


def alerts_annotation(name: str, matchers: Sequence[str], color: str) -> dash_b.AnnotationQuery:
    """Firing alerts (the ALERTS series) of the shown run selected by ``matchers`` as annotations."""
    return (
        dash_b.AnnotationQuery().name(name).datasource(DS).enable(True).icon_color(color)
        .expr(selector("ALERTS", *RUN_FILTERS, fixed=('alertstate="firing"', *matchers)))
    )
