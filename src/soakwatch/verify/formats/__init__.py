"""Output formats of the verdict, one module each; the HTML report is written only to the bundle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from soakwatch.verify.engine import Verdict
from soakwatch.verify.formats import json_doc, junit, markdown, text

Formatter = Callable[..., str]
FORMATTERS: dict[str, Formatter] = {
    "text": text.render, "json": json_doc.render, "markdown": markdown.render, "junit": junit.render,
}

__all__ = ["FORMATTERS", "Formatter", "Verdict", "tzinfo"]
