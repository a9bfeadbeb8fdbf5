"""``nats-throughput-probe`` as users run it: a subprocess with real flags, output, metrics and signals."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from nats import connect as nats_connect

from soakwatch.demo.ticks import TickPublisher
from soakwatch.exporters.probe.cli import main
from soakwatch.stack import find_binary, free_port
from soakwatch.testing import OtlpReceiver, nats_subscriptions, wait_for

pytestmark = pytest.mark.timeout(120)


def _start_probe(nats, *flags: str) -> subprocess.Popen[str]:
    before = nats_subscriptions(f"http://127.0.0.1:{nats.ports['monitor']}")
    process = subprocess.Popen(
        [sys.executable, "-m", "soakwatch", "probe", "--nats-url", nats.url, *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NATS_PASSWORD": ""},
    )
    wait_for(lambda: nats_subscriptions(f"http://127.0.0.1:{nats.ports['monitor']}") > before, 15,
             message="the probe's subscription")
    return process


async def _publish(url: str, count: int, rate: float, junk: int = 0) -> None:
    client = await nats_connect(url)
    try:
        await TickPublisher(client, rate).run(count=count)
        for _ in range(junk):
            await client.publish("market.tick.JUNK", b"\x00 not json")
        await client.flush()
    finally:
        await client.close()


def test_json_windows_summary_out_file_metrics_and_otlp(nats, tmp_path):
    port, out = free_port(), tmp_path / "summary.json"
    with OtlpReceiver() as receiver:
        process = _start_probe(nats, "--duration", "6", "--window", "1", "--format", "json", "--out", str(out),
                               "--web.listen-address", f"127.0.0.1:{port}",
                               "--otlp-endpoint", receiver.endpoint, "--otlp-interval", "1")
        asyncio.run(_publish(nats.url, 6_000, 3_000.0, junk=9))
        exposition = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        stdout, stderr = process.communicate(timeout=30)
        receiver.wait_for(1)
        pushed = receiver.latest_metrics()["soak_nats_messages"].sum.data_points[0].as_double
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert {line["event"] for line in lines[:-1]} == {"probe_window"} and len(lines) >= 5
    summary = lines[-1]
    assert summary["event"] == "probe_summary" and summary["total"] == 6_009
    assert summary["parse_gaps_by_reason"]["not_json"] == 9
    assert sum(line["messages"] for line in lines[:-1]) == 6_009
    assert json.loads(out.read_text()) == summary
    bar = {item["item"]: item["pass"] for item in summary["pass_bar"]["items"]}
    assert bar == {"rate": False, "parse_gaps": False, "connectivity": True}  # 3,000/s and 9 of 6,009 not JSON
    assert summary["pass_bar"]["pass"] is False  # shown, but without --check the exit code stays 0
    assert pushed == 6_009  # the last push happens on stop, after every tick arrived
    lint = subprocess.run([find_binary("promtool"), "check", "metrics"], input=exposition, capture_output=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert b"soak_nats_latency_seconds_bucket" in exposition


def test_sigterm_prints_the_csv_summary_and_exits_zero(nats):
    process = _start_probe(nats, "--format", "csv", "--window", "1")
    asyncio.run(_publish(nats.url, 1_000, 2_000.0))
    wait_for(lambda: process.stdout is not None, 1)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert rows[-1]["event"] == "probe_summary" and rows[-1]["total"] == "1000"
    assert stdout.count("event,window_seconds") == 1


def test_check_makes_the_exit_code_follow_the_pass_bar(nats):
    process = _start_probe(nats, "--duration", "4", "--window", "1", "--check", "--min-rate", "100000")
    asyncio.run(_publish(nats.url, 2_000, 2_000.0))
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1, stderr
    assert "pass bar: FAIL (rate" in stdout and "parse_gaps 0.000% < 0.10% of messages: ok" in stdout


def test_bad_flags_and_unreachable_nats_give_clear_errors(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--window", "0"])
    assert exited.value.code == 2
    assert "--window" in capsys.readouterr().err
    url = f"nats://soak:hunter2@127.0.0.1:{free_port()}"
    assert main(["--nats-url", url, "--duration", "1", "--connect-timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to NATS at nats://***@127.0.0.1" in err and "hunter2" not in err
