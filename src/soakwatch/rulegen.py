"""Render prometheus/rules/ and the docs tables from the rule sources and the one thresholds file.

The rule sources in ``prometheus/rules.in/*.yml`` hold ``<<name>>`` placeholders;
``prometheus/thresholds.yml`` gives every value, with its unit, the alerts that
use it, the verify-soak criterion it follows and a line of documentation.
``python -m soakwatch.rulegen`` writes ``prometheus/rules/*.yml`` and the
generated sections of ``docs/alerts.md``; ``--check`` only reports drift.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from soakwatch.errors import ConfigError

THRESHOLDS_FILE = Path("prometheus/thresholds.yml")
SOURCE_DIR = Path("prometheus/rules.in")
RULES_DIR = Path("prometheus/rules")
DOCS_FILE = Path("docs/alerts.md")

_PLACEHOLDER = re.compile(r"<<([a-z0-9_]+)>>")
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d))+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELDS = ("value", "unit", "alerts", "criterion", "doc")


@dataclass(frozen=True)
class Threshold:
    """One threshold: its value as written into PromQL, and its documentation."""

    name: str
    value: str
    unit: str
    alerts: tuple[str, ...]
    criterion: str
    doc: str


@dataclass(frozen=True)
class MixinConfig:
    """The contents of thresholds.yml."""

    runbook_url_base: str
    thresholds: Mapping[str, Threshold]

    def values(self) -> dict[str, str]:
        return {"runbook_url_base": self.runbook_url_base} | {k: t.value for k, t in self.thresholds.items()}


def _threshold(name: str, entry: Any) -> Threshold:
    where = f"thresholds.{name}"
    if not _NAME.match(name):
        raise ConfigError(where, "must be lowercase letters, digits and underscores")
    if not isinstance(entry, dict) or sorted(entry) != sorted(_FIELDS):
        raise ConfigError(where, f"must be a mapping with exactly the keys {', '.join(_FIELDS)}")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}.value", "must be a number or a duration such as 30s or 2m")
    if isinstance(value, str) and not _DURATION.match(value):
        raise ConfigError(f"{where}.value", f"must be a number or a duration such as 30s or 2m, got {value!r}")
    if not isinstance(entry["alerts"], list) or not entry["alerts"]:
        raise ConfigError(f"{where}.alerts", "must be a non-empty list of alert names")
    return Threshold(name, str(value), str(entry["unit"]), tuple(entry["alerts"]), str(entry["criterion"]),
                     str(entry["doc"]))


def load_config(path: Path) -> MixinConfig:
    """Read and validate thresholds.yml; errors name the field and the rule."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("thresholds"), dict):
        raise ConfigError(f"{path}: thresholds", "must be a mapping of threshold name to entry")
    base = data.get("runbook_url_base")
    if not isinstance(base, str) or not re.match(r"^https?://[^/\s]+/(\S*/)?$", base):
        raise ConfigError(f"{path}: runbook_url_base", f"must be an absolute http(s) URL ending in '/' (a link that "
                                                       f"opens from Alertmanager and Slack), got {base!r}")
    return MixinConfig(base, {name: _threshold(name, entry) for name, entry in data["thresholds"].items()})


def fill(template: str, values: Mapping[str, str], source: str, used: set[str]) -> str:
    """Replace every ``<<name>>``; an unknown name is an error naming the source file."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ConfigError(f"{source}: <<{name}>>", "is not defined in thresholds.yml")
        used.add(name)
        return values[name]

    return _PLACEHOLDER.sub(replace, template)


def _header(source: Path) -> str:
    return (
        f"# GENERATED from {source.as_posix()} and {THRESHOLDS_FILE.as_posix()} by "
        "`python -m soakwatch.rulegen`: edit those, not this file.\n"
    )


def render_rules(root: Path, config: MixinConfig) -> dict[Path, str]:
    """``prometheus/rules/<name>.yml`` for every source; every threshold must be used somewhere."""
    values, used, out = config.values(), set[str](), dict[Path, str]()
    for source in sorted((root / SOURCE_DIR).glob("*.yml")):
        relative = source.relative_to(root)
        text = fill(source.read_text(), values, relative.as_posix(), used)
        out[RULES_DIR / source.name] = _header(relative) + text
    unused = sorted(set(config.thresholds) - used)
    if unused:
        raise ConfigError(f"thresholds.{unused[0]}", "is not used by any rule in prometheus/rules.in/")
    return out


def alert_rules(rule_texts: Sequence[str]) -> list[dict[str, Any]]:
    """Every alerting rule of the given rule files, in file order."""
    rules = []
    for text in rule_texts:
        for group in yaml.safe_load(text)["groups"]:
            rules += [rule for rule in group["rules"] if "alert" in rule]
    return rules


def thresholds_table(config: MixinConfig) -> str:
    lines = ["| threshold | value | unit | alerts | criterion | meaning |", "|---|---|---|---|---|---|"]
    for t in config.thresholds.values():
        alerts = ", ".join(f"`{a}`" for a in t.alerts)
        doc = t.doc.replace("|", "\\|")
        lines.append(f"| `{t.name}` | {t.value} | {t.unit} | {alerts} | {t.criterion} | {doc} |")
    return "\n".join(lines)


def alerts_table(rules: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| alert | severity | for | summary | runbook |", "|---|---|---|---|---|"]
    for rule in rules:
        name = rule["alert"]
        lines.append(
            f"| `{name}` | {rule['labels']['severity']} | {rule.get('for', '0s')} | "
            f"{rule['annotations']['summary']} | [runbook](runbooks/{name}.md) |"
        )
    return "\n".join(lines)


def replace_section(document: str, name: str, body: str) -> str:
    """Put ``body`` between ``<!-- name:begin -->`` and ``<!-- name:end -->``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in document or end not in document:
        raise ConfigError(str(DOCS_FILE), f"must contain the markers {begin} and {end}")
    head, rest = document.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render_all(root: Path) -> dict[Path, str]:
    """Every generated file (relative path -> text)."""
    config = load_config(root / THRESHOLDS_FILE)
    out = render_rules(root, config)
    docs = (root / DOCS_FILE).read_text()
    docs = replace_section(docs, "alerts", alerts_table(alert_rules(list(out.values()))))
    out[DOCS_FILE] = replace_section(docs, "thresholds", thresholds_table(config))
    return out


def stale_files(root: Path, rendered: Mapping[Path, str]) -> list[Path]:
    """Generated files that differ from their rendering, plus rule files without a source."""
    stale = [p for p, text in rendered.items() if not (root / p).is_file() or (root / p).read_text() != text]
    orphans = [p.relative_to(root) for p in (root / RULES_DIR).glob("*.yml") if p.relative_to(root) not in rendered]
    return sorted(stale + orphans)


def main(argv: Sequence[str] | None = None, prog: str = "python -m soakwatch.rulegen") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: the cwd)")
    parser.add_argument("--check", action="store_true", help="report drift and exit 1 instead of writing")
    args = parser.parse_args(argv)
    try:
        rendered = render_all(args.root)
    except (ConfigError, OSError, yaml.YAMLError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    stale = stale_files(args.root, rendered)
    if args.check:
        for path in stale:
            print(f"{prog}: {path} is out of date; run {prog}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        if path not in rendered:
            print(f"{prog}: {path} has no source in {SOURCE_DIR}; remove it", file=sys.stderr)
            continue
        (args.root / path).parent.mkdir(parents=True, exist_ok=True)
        (args.root / path).write_text(rendered[path])
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
