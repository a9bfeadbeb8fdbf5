"""Commands that cannot reach NATS stop by themselves with one line naming the URL, never a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from soakwatch.stack import free_port, http_ok

SOAKWATCH = [sys.executable, "-m", "soakwatch"]


def test_ticks_with_a_wrong_url_stops_within_its_duration() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    began = time.monotonic()
    result = subprocess.run([*SOAKWATCH, "ticks", "--duration", "2", "--nats-url", url], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert time.monotonic() - began < 20
    assert "Traceback" not in result.stderr
    assert f"ticks: cannot connect to NATS at {url}: no answer within 2 s" in result.stderr.splitlines()


def test_probe_stopped_while_connecting_says_so() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    port = free_port()
    probe = subprocess.Popen([*SOAKWATCH, "probe", "--nats-url", url, "--connect-timeout", "60",
                              "--web.listen-address", f"127.0.0.1:{port}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not http_ok(f"http://127.0.0.1:{port}/metrics"):  # serving: the connect attempts have begun
            assert probe.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        probe.send_signal(signal.SIGTERM)
        _, err = probe.communicate(timeout=30)
    finally:
        probe.kill()
    assert probe.returncode == 1, err
    assert "Traceback" not in err
    assert f"probe: stopped by a signal while connecting to NATS; nothing was measured (NATS at {url})" in err
