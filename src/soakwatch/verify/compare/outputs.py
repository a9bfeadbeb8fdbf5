"""The output formats of a comparison and its bundle (``--out DIR``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from soakwatch.errors import ConfigError
from soakwatch.verify.compare import html, json_doc, junit, text
from soakwatch.verify.compare.comparison import Comparison
from soakwatch.verify.querier import QueryLog

Formatter = Callable[..., str]
FORMATTERS: dict[str, Formatter] = {"text": text.render, "json": json_doc.render, "markdown": text.markdown,
                                    "html": html.render, "junit": junit.render}
FILES = ("comparison.json", "report.md", "report.html", "junit.xml", "comparison.txt", "queries.json")


def write_bundle(out: Path, c: Comparison, tz: tzinfo, log: QueryLog) -> None:
    """Every file of :data:`FILES` into ``out``; ``queries.json`` lists the store queries (empty for bundles)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("--out", f"must be a writable directory ({exc.strerror or exc})") from None
    for name, render in (("comparison.json", json_doc.render), ("report.md", text.markdown),
                         ("report.html", html.render), ("junit.xml", junit.render), ("comparison.txt", text.render)):
        (out / name).write_text(render(c, tz))
    (out / "queries.json").write_text(json.dumps({"queries": log.entries}, indent=1) + "\n")
