"""The machine a benchmark ran on (host, CPU, Python), recorded in reports and shown by compare."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# row label -> keys that may hold it, in a report's "environment" object or at its top level
FIELDS = {
    "host": ("host", "hostname"),
    "CPU": ("cpu", "cpu_model"),
    "Python": ("python", "python_version"),
    "nats-server": ("server_version", "nats_server_version"),
}


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU model and core count, e.g. ``Intel(R) Xeon(R) ... (2 cores)``."""
    model = platform.processor() or platform.machine()
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    return f"{model} ({os.cpu_count() or '?'} cores)"


def environment() -> dict[str, str]:
    """This machine, in the shape stored under a report's ``environment``."""
    return {"host": platform.node(), "cpu": cpu_model(), "python": platform.python_version(),
            "platform": platform.platform()}


def recorded(report: Mapping[str, Any], label: str) -> str | None:
    """What ``report`` says about environment row ``label``; None when it does not say."""
    nested = report.get("environment")
    sources = [nested if isinstance(nested, dict) else {}, report]
    for source in sources:
        for key in FIELDS[label]:
            value = source.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
    return None
