"""Every repository path and module named in the docs resolves: links, backticked paths and dotted modules."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "benchmarks" / "README.md", *(ROOT / "docs").rglob("*.md")])
TOP_DIRS = ("src/", "tests/", "benchmarks/", "prometheus/", "alerting/", "grafana/", "docs/", "examples/",
            "scripts/", "otel/")
LINK = re.compile(r"\]\(([^)#\s]+)")
TICKED = re.compile(r"`([A-Za-z0-9_./-]+)`")
MODULE = re.compile(r"\bsoakwatch(?:\.[a-z_]+)+")


def _links(doc: Path) -> list[Path]:
    targets = [m for m in LINK.findall(doc.read_text()) if "://" not in m and not m.startswith("mailto:")]
    return [(doc.parent / t).resolve() for t in targets]


def _ticked(doc: Path) -> list[Path]:
    return [ROOT / t for t in TICKED.findall(doc.read_text()) if t.startswith(TOP_DIRS)]


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    missing = [str(p) for p in _links(doc) + _ticked(doc) if not p.exists()]
    assert missing == [], f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_a_doc_names_imports(doc: Path) -> None:
    broken = sorted({m for m in MODULE.findall(doc.read_text()) if not _resolves(m)})
    assert broken == [], f"{doc.relative_to(ROOT)} names modules that do not import: {broken}"
