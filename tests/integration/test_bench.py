"""soakwatch bench against a real nats-server with JetStream (and a real Pushgateway)."""

from __future__ import annotations

import asyncio
import json
import platform
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from soakwatch.bench.cli import main
from soakwatch.bench.config import BenchConfig
from soakwatch.bench.request import RequestBench
from soakwatch.bench.runner import connector, measure
from soakwatch.bench.stats import SUMMARY_KEYS
from soakwatch.stack import Server, find_binary, free_port, pushgateway

LATENCY_ORDER = ("p50", "p95", "p99", "p99_9", "max")


def _monitor(nats) -> str:
    return f"http://127.0.0.1:{nats.ports['monitor']}"


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _bench(capsys, nats, *argv: str, code: int = 0, stderr: list[str] | None = None) -> dict:
    result = main([*argv, "--nats-url", nats.url, "--nats-monitor-url", _monitor(nats)])
    out = capsys.readouterr()
    assert result == code, out.err
    if stderr is not None:
        stderr.append(out.err)
    return json.loads(out.out)


def _assert_sane_summaries(report: dict, prefix: str = "") -> None:
    for name, value in report.items():
        if isinstance(value, dict) and set(value) == set(SUMMARY_KEYS):
            assert value["min"] <= value["median"] <= value["p95"], name
    medians = [report[f"{prefix}latency_{key}_ms"]["median"] for key in LATENCY_ORDER]
    assert medians[0] > 0 and medians == sorted(medians), medians
    assert report[f"{prefix}latency_max_ms"]["p95"] < 5000  # below the timeout: nothing was stuck
    assert report[f"{prefix}latency_mean_ms"]["median"] > 0 and report[f"{prefix}latency_stddev_ms"] is not None


def _assert_resources(report: dict) -> None:
    assert 10 < report["peak_rss_mb"] < 2000
    assert report["client_cpu_percent"]["median"] > 0
    assert 1 < report["server_peak_rss_mb"] < 2000
    assert report["server_version"].startswith("2.")


@pytest.mark.timeout(15)
def test_pubsub_small_run(capsys, nats):
    in_msgs_before = _get(f"{_monitor(nats)}/varz")["in_msgs"]
    report = _bench(capsys, nats, "pubsub", "--msgs", "3000", "--clients", "2", "--repeats", "2",
                    "--warmup", "200", "--size", "64", "--seed", "7")
    assert (report["mode"], report["msgs"], report["clients"], report["size"], report["seed"]) == (
        "pubsub", 3000, 2, 64, 7)
    assert report["msgs_lost"] == {"min": 0, "median": 0, "p95": 0}
    assert report["msgs_per_sec"]["min"] > 1000
    assert report["mb_per_sec"]["median"] == pytest.approx(report["msgs_per_sec"]["median"] * 64 / 2**20, rel=0.01)
    assert len(report["runs"]) == 2
    _assert_sane_summaries(report)
    _assert_resources(report)
    # the server saw every message the report counts
    assert _get(f"{_monitor(nats)}/varz")["in_msgs"] - in_msgs_before >= 200 + 2 * 3000


@pytest.mark.timeout(15)
def test_pubsub_at_a_rate_holds_the_rate_and_measures_server_cpu(capsys, nats):
    report = _bench(capsys, nats, "pubsub", "--rate", "1500", "--duration", "1.5", "--repeats", "1",
                    "--warmup", "100")
    assert report["rate"] == 1500.0 and report["msgs"] is None
    assert report["msgs_per_sec"]["median"] == pytest.approx(1500, rel=0.15)
    assert report["msgs_lost"]["median"] == 0
    assert report["server_cpu_percent"] is not None and report["server_cpu_percent"]["median"] >= 0
    _assert_sane_summaries(report)


@pytest.mark.timeout(15)
def test_request_small_run(capsys, nats):
    report = _bench(capsys, nats, "request", "--msgs", "2000", "--clients", "2", "--responders", "2",
                    "--repeats", "2", "--warmup", "200")
    assert report["responders"] == 2
    assert report["timeouts"]["p95"] == 0 and report["errors"]["p95"] == 0
    assert report["requests_per_sec"]["min"] > 300
    _assert_sane_summaries(report)
    _assert_resources(report)


class _DroppingRequestBench(RequestBench):
    """Its responders ignore every 10th request."""

    seen = 0

    @staticmethod
    async def _respond(responder, msg):
        _DroppingRequestBench.seen += 1
        if _DroppingRequestBench.seen % 10:
            await responder.publish(msg.reply, msg.data)


@pytest.mark.timeout(15)
def test_request_timeouts_are_counted(nats):
    config = BenchConfig(mode="request", msgs=200, rate=400.0, repeats=1, warmup=0, timeout=0.5)
    bench = _DroppingRequestBench(config, connector({"servers": [nats.url]}, config.timeout))
    runs, _ = asyncio.run(measure(bench, config, None))
    assert runs[0]["timeouts"] == 20 and runs[0]["errors"] == 0
    assert runs[0]["latency_max_ms"] < 500


@pytest.mark.timeout(15)
def test_jetstream_small_run_removes_its_stream(capsys, nats):
    report = _bench(capsys, nats, "jetstream", "--msgs", "2000", "--clients", "2", "--batch", "50",
                    "--repeats", "2", "--warmup", "100")
    assert report["timeouts"]["p95"] == 0 and report["errors"]["p95"] == 0
    assert report["stream_messages"] == 2 * 100 + 2 * 2 * 2000  # warm-up and repeats, sync and async
    assert report["stream_kept"] is False and report["stream"].startswith("SOAKBENCH_")
    assert report["msgs_per_sec"]["min"] > 100 and report["async_msgs_per_sec"]["min"] > 100
    _assert_sane_summaries(report)
    _assert_sane_summaries(report, prefix="async_")
    _assert_resources(report)
    assert _get(f"{_monitor(nats)}/jsz")["streams"] == 0


@pytest.mark.timeout(15)
def test_jetstream_keep_stream(capsys, nats):
    report = _bench(capsys, nats, "jetstream", "--msgs", "300", "--repeats", "1", "--warmup", "0",
                    "--keep-stream", "--stream", "BENCH_KEPT")
    assert (report["stream"], report["stream_kept"], report["stream_messages"]) == ("BENCH_KEPT", True, 600)
    jsz = _get(f"{_monitor(nats)}/jsz?streams=true")
    assert jsz["streams"] == 1 and jsz["messages"] == 600


@pytest.mark.timeout(30)
def test_compare_real_reports(capsys, nats, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert main(["request", "--msgs", "1000", "--repeats", "2", "--warmup", "100", "--out", str(baseline),
                 "--nats-url", nats.url, "--nats-monitor-url", _monitor(nats)]) == 0
    assert capsys.readouterr().out == ""  # the report went to --out
    assert main(["compare", str(baseline), str(baseline)]) == 0
    current = json.loads(baseline.read_text())
    current["latency_p99_ms"]["median"] *= 1.5
    slower = tmp_path / "current.json"
    slower.write_text(json.dumps(current))
    capsys.readouterr()
    assert main(["compare", str(baseline), str(slower), "--max-regression", "10%"]) == 1
    out = capsys.readouterr().out
    assert "regressed: latency_p99_ms.median" in out
    assert "(+50.0% worse; lower is better by soakwatch request figure; allowed 10.0%)" in out
    assert main(["compare", str(baseline), str(baseline), "--format", "markdown",
                 "--budget", "requests_per_sec.min>=1", "--budget", "latency_p50_ms<0.000001"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# Benchmark comparison: FAIL"
    assert f"| host | {platform.node()} | {platform.node()} |" in lines
    server = json.loads(baseline.read_text())["server_version"]
    assert server.startswith("2.") and f"| nats-server | {server} | {server} |" in lines
    assert any(line.startswith("| latency_p50_ms < 1e-06 | ") and line.endswith(" | breached |") for line in lines)
    assert any(line.startswith("| requests_per_sec.min >= 1 | ") and line.endswith(" | met |") for line in lines)


@pytest.mark.timeout(30)
def test_compare_command_exit_codes_on_foreign_reports(tmp_path):
    """The installed entry point, as CI calls it: worse copy exit 1, budget breach exit 1, NaN exit 2."""
    base = {"candles": 50000, "repeats": 2, "seed": 1337,
            "candles_per_sec": {"min": 1025.4, "median": 1048.2, "p95": 1056.7},
            "p95_stage_latency_ms": 21.3, "peak_rss_mb": 182.4}
    worse = {**base, "candles_per_sec": {"min": 700.0, "median": 800.0, "p95": 820.0}, "p95_stage_latency_ms": 60.0}
    files = {name: _write(tmp_path / f"{name}.json", json.dumps(report))
             for name, report in (("base", base), ("worse", worse))}
    files["nan"] = _write(tmp_path / "nan.json", '{"candles_per_sec": {"min": NaN, "median": NaN, "p95": NaN}}')

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "soakwatch", "bench", "compare", *argv], capture_output=True,
                              text=True, timeout=30)

    result = run(str(files["base"]), str(files["worse"]))
    assert result.returncode == 1, result.stderr
    regressed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("regressed:")]
    assert regressed == ["candles_per_sec.median", "p95_stage_latency_ms"]
    result = run(str(files["base"]), str(files["base"]), "--budget", "candles_per_sec.min>=1100")
    assert result.returncode == 1 and "budget breached: candles_per_sec.min >= 1100" in result.stdout
    result = run(str(files["base"]), str(files["nan"]))
    assert result.returncode == 2 and "NaN is not a number" in result.stderr and result.stdout == ""


@pytest.mark.timeout(20)
def test_push_to_a_real_pushgateway(capsys, nats, tmp_path):
    with pushgateway(tmp_path / "pgw") as gateway:
        report = _bench(capsys, nats, "request", "--msgs", "1000", "--repeats", "2", "--warmup", "100",
                        "--push-gateway", gateway.url)
        with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=5) as response:
            text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
        if s.name.startswith("soak_bench_")
    }
    group = (("instance", ""), ("job", "soak_bench"), ("mode", "request"))

    def value(name, **labels):
        return samples[(name, tuple(sorted({**dict(group), **labels}.items())))]

    assert value("soak_bench_messages_per_second", phase="request", stat="median") == pytest.approx(
        report["requests_per_sec"]["median"])
    assert value("soak_bench_latency_seconds", phase="request", quantile="0.99", stat="p95") == pytest.approx(
        report["latency_p99_ms"]["p95"] / 1000)
    assert value("soak_bench_failed_messages", phase="request", reason="timeout", stat="p95") == 0
    assert value("soak_bench_peak_resident_memory_bytes", process="client") == pytest.approx(
        report["peak_rss_mb"] * 2**20)
    assert value("soak_bench_resident_memory_bytes", process="nats-server", stat="median") > 0
    info = [key for key in samples if key[0] == "soak_bench_info" and ("mode", "request") in key[1]]
    assert len(info) == 1 and ("msgs", "1000") in info[0][1] and samples[info[0]] == 1


@pytest.mark.timeout(20)
def test_push_failure_exits_1_after_writing_the_report(capsys, nats):
    dead = f"http://127.0.0.1:{free_port()}"
    err: list[str] = []
    report = _bench(capsys, nats, "pubsub", "--msgs", "500", "--repeats", "1", "--warmup", "0",
                    "--push-gateway", dead, code=1, stderr=err)
    assert report["msgs_per_sec"] is not None
    assert f"push to {dead} failed" in err[0]


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def _certificate(directory: Path, name: str, subject: str, ca: str | None = None, san: str | None = None) -> None:
    """``name.pem`` and ``name-key.pem`` (EC P-256): self-signed, or signed by ``ca`` (``ca.pem``/``ca-key.pem``)."""
    key, cert = directory / f"{name}-key.pem", directory / f"{name}.pem"
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key)]
    if ca is None:
        _openssl("req", "-x509", *new_key, "-out", str(cert), "-days", "1", "-subj", subject)
        return
    csr = directory / f"{name}.csr"
    _openssl("req", *new_key, "-out", str(csr), "-subj", subject)
    extra = ["-extfile", str(_write(directory / f"{name}.ext", f"subjectAltName={san}\n"))] if san else []
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(directory / f"{ca}.pem"),
             "-CAkey", str(directory / f"{ca}-key.pem"), "-CAcreateserial", "-out", str(cert), "-days", "1", *extra)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def mtls_nats(tmp_path):
    """nats-server requiring mutual TLS (``--tlsverify``), with a trusted and an untrusted client certificate."""
    certs = tmp_path / "certs"
    certs.mkdir()
    _certificate(certs, "ca", "/CN=soakwatch test CA")
    _certificate(certs, "server", "/CN=127.0.0.1", ca="ca", san="IP:127.0.0.1")
    _certificate(certs, "client", "/CN=bench", ca="ca")
    _certificate(certs, "intruder", "/CN=intruder")
    port, monitor = free_port(), free_port()
    argv = [find_binary("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor), "--tls",
            "--tlscert", str(certs / "server.pem"), "--tlskey", str(certs / "server-key.pem"), "--tlsverify",
            "--tlscacert", str(certs / "ca.pem")]
    server = Server("nats-server", argv, f"http://127.0.0.1:{monitor}/healthz", tmp_path / "nats-server.log",
                    url=f"nats://127.0.0.1:{port}", ports={"client": port, "monitor": monitor})
    with server.start():
        yield server, certs


@pytest.mark.timeout(30)
@pytest.mark.parametrize("client", [None, "intruder"])
def test_mutual_tls_rejection_is_named(capsys, mtls_nats, client):
    server, certs = mtls_nats
    url = server.url.replace("nats://", "nats://bench:s3cret@")
    cert = ["--tls-cert", str(certs / f"{client}.pem"), "--tls-key", str(certs / f"{client}-key.pem")] if client else []
    code = main(["pubsub", "--msgs", "10", "--repeats", "1", "--warmup", "0", "--nats-url", url,
                 "--tls-ca", str(certs / "ca.pem"), *cert, "--nats-monitor-url", "none"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"soakwatch bench: cannot connect to nats://***@127.0.0.1:{server.ports['client']}: the "
                          "server ")
    assert "TLS handshake" in err and "client certificate" in err and "--tls-cert" in err, err
    assert "s3cret" not in err and err.count("\n") == 1
    assert "TLS handshake error" in server.log_tail(), server.log_tail()  # the server did reject it


@pytest.mark.timeout(30)
def test_mutual_tls_with_a_trusted_client_certificate_runs(capsys, mtls_nats):
    server, certs = mtls_nats
    report = _bench(capsys, server, "pubsub", "--msgs", "200", "--repeats", "1", "--warmup", "0",
                    "--tls-ca", str(certs / "ca.pem"), "--tls-cert", str(certs / "client.pem"),
                    "--tls-key", str(certs / "client-key.pem"))
    assert report["msgs_lost"]["median"] == 0 and report["msgs_per_sec"]["median"] > 0
