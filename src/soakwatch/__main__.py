"""Run the soakwatch command line as ``python -m soakwatch``."""

from soakwatch.cli import run

run()
