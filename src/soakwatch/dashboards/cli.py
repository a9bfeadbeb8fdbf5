"""`soakwatch dashboards --write|--check`: rebuild the Grafana dashboards and write or compare their JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from soakwatch.errors import ConfigError
from soakwatch.options import env_flag

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "grafana" / "dashboards"  # the checkout's grafana/dashboards


def stale(directory: Path, rendered: Mapping[str, str]) -> list[str]:
    """Names of the dashboard files in ``directory`` that are missing or differ from ``rendered``."""
    drifted = []
    for name, text in rendered.items():
        path = directory / name
        if not path.is_file() or path.read_text() != text:
            drifted.append(name)
    return drifted


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch dashboards") -> int:
    """Write the dashboards, or check the checked-in JSON; --check exits 1 when a file drifted."""
    parser = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write every dashboard's JSON")
    mode.add_argument("--check", action="store_true", help="fail when a checked-in dashboard differs from the code")
    env_flag(parser, "--dir", env="SOAK_DASHBOARDS_DIR", type=Path, default=DEFAULT_DIR, help="dashboard folder")
    args = parser.parse_args(argv)
    try:
        from soakwatch.dashboards.build import render_all
    except ImportError as exc:
        print(f"{prog}: needs grafana-foundation-sdk==1769699379!11.6.0 (pip install 'soakwatch[grafana]'): {exc}",
              file=sys.stderr)
        return 2
    try:
        rendered = render_all()
    except ConfigError as exc:  # prometheus/thresholds.yml missing, unreadable or without a key a panel needs
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        drifted = stale(args.dir, rendered)
        for name in drifted:
            print(f"{prog}: {args.dir / name} is out of date; run `soakwatch dashboards --write`", file=sys.stderr)
        return 1 if drifted else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (args.dir / name).write_text(text)
        print(f"wrote {args.dir / name}")
    return 0
