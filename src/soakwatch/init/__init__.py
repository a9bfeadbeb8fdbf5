"""``soakwatch init``: propose a soak exporter config for a running pipeline and show what it will cover."""

from soakwatch.init.cli import main

__all__ = ["main"]
