"""NATS pattern benchmarks (pub/sub, request/reply, JetStream) with a JSON report and a regression check."""

from soakwatch.bench.cli import main
from soakwatch.bench.compare import Change, Comparison, compare
from soakwatch.bench.config import BenchConfig
from soakwatch.bench.push import push_report
from soakwatch.bench.report import build_report

__all__ = ["BenchConfig", "Change", "Comparison", "build_report", "compare", "main", "push_report"]
