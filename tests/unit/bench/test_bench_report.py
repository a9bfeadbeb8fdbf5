"""The report shape (the teams' bench report format), the TTY table and the metric mapping."""

import json
import os
import platform

from prometheus_client import CollectorRegistry, generate_latest

from soakwatch.bench.config import BenchConfig
from soakwatch.bench.environment import cpu_model
from soakwatch.bench.figures import FIGURES
from soakwatch.bench.push import ReportCollector
from soakwatch.bench.report import build_report, figure_names, render_table

RUNS = [
    {"msgs_per_sec": 1000.0, "latency_p99_ms": 2.0, "msgs_lost": 0, "server_cpu_percent": None, "server_rss_mb": 15.0},
    {"msgs_per_sec": 3000.0, "latency_p99_ms": 4.0, "msgs_lost": 0, "server_cpu_percent": None, "server_rss_mb": 17.0},
]


def _report():
    config = BenchConfig(mode="pubsub", msgs=5000, repeats=2, seed=1337)
    return build_report(config, RUNS, {}, {"nats_url": "nats://127.0.0.1:4222", "server_version": "2.9.10"})


def test_report_has_parameters_summaries_peaks_and_nulls():
    report = json.loads(json.dumps(_report()))
    assert (report["mode"], report["msgs"], report["repeats"], report["seed"]) == ("pubsub", 5000, 2, 1337)
    assert report["msgs_per_sec"] == {"min": 1000.0, "median": 2000.0, "p95": 2900.0}
    assert report["server_cpu_percent"] is None  # not measurable: null, never 0
    assert report["server_peak_rss_mb"] == 17.0
    assert isinstance(report["peak_rss_mb"], float) and report["peak_rss_mb"] > 0
    assert report["runs"] == RUNS
    assert report["environment"]["host"] == platform.node()
    assert report["environment"]["python"] == platform.python_version()
    assert report["environment"]["cpu"].endswith(f"({os.cpu_count()} cores)")
    assert figure_names(report) == ["msgs_per_sec", "latency_p99_ms", "msgs_lost", "server_cpu_percent",
                                    "server_rss_mb", "peak_rss_mb", "server_peak_rss_mb"]


def test_table_rows():
    lines = render_table(_report()).splitlines()
    assert lines[0] == "soakwatch bench pubsub: 2 repeats, seed 1337"
    assert lines[1].split() == ["figure", "min", "median", "p95"]
    assert lines[2].split() == ["msgs_per_sec", "1,000", "2,000", "2,900"]
    assert lines[5].split() == ["server_cpu_percent", "-", "-", "-"]
    assert lines[-1].split() == ["server_peak_rss_mb", "17"]


def test_metrics_in_base_units():
    registry = CollectorRegistry()
    registry.register(ReportCollector(_report()))
    text = generate_latest(registry).decode()
    assert 'soak_bench_messages_per_second{phase="pubsub",stat="median"} 2000.0' in text
    assert 'soak_bench_latency_seconds{phase="pubsub",quantile="0.99",stat="p95"} 0.0039' in text
    assert 'soak_bench_resident_memory_bytes{process="nats-server",stat="min"} 1.572864e+07' in text
    assert "soak_bench_cpu_ratio" not in text  # null figures are not pushed
    assert 'soak_bench_info{clients="1",duration="",msgs="5000",rate="",repeats="2"' in text


def test_every_figure_has_a_documented_metric(repo_root):
    documented = (repo_root / "docs" / "metrics.md").read_text()
    metrics = {spec.metric for figures in FIGURES.values() for spec in figures.values()}
    for metric in [*metrics, "soak_bench_peak_resident_memory_bytes", "soak_bench_info"]:
        assert f"`{metric}`" in documented, metric


def test_cpu_model_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\nflags\t: fpu\n")
    assert cpu_model(cpuinfo) == f"Test CPU @ 2.0GHz ({os.cpu_count()} cores)"
    assert cpu_model(tmp_path / "missing").endswith(f"({os.cpu_count()} cores)")
