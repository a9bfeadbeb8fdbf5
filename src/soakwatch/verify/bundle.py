"""The evidence bundle: verdict, reports, JUnit, manifests, daily reports and every query, in one directory."""

from __future__ import annotations

import json
from datetime import tzinfo
from pathlib import Path
from typing import Any

from soakwatch import rulegen
from soakwatch.errors import ConfigError
from soakwatch.stack.render import find_config_dir
from soakwatch.verify import daily, manifest
from soakwatch.verify.compare import series
from soakwatch.verify.compare.metrics import DEFAULT_STEP, DEFAULTS, Metric
from soakwatch.verify.config import Settings
from soakwatch.verify.engine import Verdict
from soakwatch.verify.facts import gather
from soakwatch.verify.formats import daily_markdown, html, json_doc, junit, markdown
from soakwatch.verify.promapi import PromClient
from soakwatch.verify.querier import Querier, QueryLog
from soakwatch.verify.runinfo import RunInfo

FILES = ("verdict.json", "report.md", "report.html", "junit.xml", "run_manifest.json", "source_manifest.json",
         "parity_diff.json", "queries.json", "series.json", *daily.FILES)


def write(out: Path, verdict: Verdict, settings: Settings, log: QueryLog, client: PromClient, tz: tzinfo,
          run_info: RunInfo | None = None, metrics: tuple[Metric, ...] = DEFAULTS,
          series_step: float = DEFAULT_STEP) -> None:
    """Write every file of :data:`FILES` into ``out`` (created if needed); ``run_info`` is the orchestrator's
    run manifest as read by ``--run-manifest``; ``series.json`` holds ``metrics`` sampled every ``series_step``."""
    run_info = run_info or RunInfo()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("--out", f"must be a writable directory ({exc.strerror or exc})") from None
    q = Querier(client, verdict.window, log, "evidence", settings.scope)
    facts = gather(q, tz)
    documents: dict[str, Any] = {
        "run_manifest.json": manifest.run_manifest(q, tz, facts, run_info),
        "parity_diff.json": manifest.parity_diff(q, tz, settings, facts),
        "source_manifest.json": manifest.source_manifest(verdict.url, settings, q, tz, run_info, verdict.target),
        "verdict.json": json_doc.document(verdict, tz),
        "series.json": series.document(series.collect(q, metrics, series_step, str(out)), metrics),
    }
    for sink, report in daily.reports(q, tz, facts, run_info, settings.processes, verdict.passed).items():
        json_name, markdown_name = daily.file_names(sink)
        documents[json_name] = report
        (out / markdown_name).write_text(daily_markdown.render(report))
    for name, document in documents.items():
        (out / name).write_text(json.dumps(document, indent=2) + "\n")
    (out / "queries.json").write_text(_queries(verdict.url, log))
    (out / "report.md").write_text(markdown.render(verdict, tz))
    (out / "report.html").write_text(html.render(verdict, tz, alerts=facts.alerts, runbook_base=runbook_base()))
    (out / "junit.xml").write_text(junit.render(verdict, tz))


def runbook_base() -> str | None:
    """``runbook_url_base`` of the rules' thresholds.yml (the checkout's or $SOAKWATCH_CONFIG_DIR's); None
    when there is none to read, and the report then shows the alerts without links."""
    try:
        config_dir = find_config_dir()
        return rulegen.load_config(config_dir / "prometheus" / "thresholds.yml").runbook_url_base
    except (ConfigError, OSError):
        return None


def _queries(url: str, log: QueryLog) -> str:
    """One query per line, so a reviewer can grep and diff the audit trail."""
    lines = ",\n".join(json.dumps(entry, separators=(",", ":")) for entry in log.entries)
    return f'{{"prometheus_url": {json.dumps(url)}, "queries": [\n{lines}\n]}}\n'
