"""Real servers (nats-server, Prometheus, Alertmanager, Pushgateway, VictoriaMetrics) as child processes.

Each factory returns a :class:`Server` that is not yet started; ``start()``
waits for the server's readiness endpoint with a deadline and, on failure,
raises with the tail of the server's own log.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from soakwatch.errors import SoakwatchError

# binary -> Debian package that provides it
DEBIAN_PACKAGES = {
    "nats-server": "nats-server",
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "prometheus-pushgateway": "prometheus-pushgateway",
    "victoria-metrics": "victoria-metrics",
}
_EXTRA_PATHS = ("/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin")


class ServerStartError(SoakwatchError):
    """A server exited or did not become ready before its deadline."""


class MissingBinaryError(SoakwatchError):
    """A server binary is not installed."""

    def __init__(self, binary: str) -> None:
        package = DEBIAN_PACKAGES.get(binary, binary)
        super().__init__(
            f"soakwatch: {binary} not found on PATH or in /usr/sbin; "
            f"install it with: apt-get install --no-install-recommends {package}"
        )


class PortInUseError(SoakwatchError):
    """A port the stack wants to listen on is taken."""

    def __init__(self, port: int, flag: str) -> None:
        super().__init__(f"soakwatch: port {port} on 127.0.0.1 is in use; choose another with {flag}")


def find_binary(name: str) -> str:
    """Absolute path of ``name`` from PATH or the usual Debian folders."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_EXTRA_PATHS))
    if not found:
        raise MissingBinaryError(name)
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class Server:
    """One server process: its command line, readiness URL and log file."""

    name: str
    argv: list[str]
    ready_url: str
    log_path: Path
    url: str
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    env: Mapping[str, str] | None = None  # None: inherit this process's environment

    def start(self, timeout: float = 20.0) -> Server:
        """Start the process and wait until ``ready_url`` answers 200."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=None if self.env is None else dict(self.env),
            )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"soakwatch: {self.name} exited with code {self.process.returncode} before it was "
                    f"ready\n{self.log_tail()}"
                )
            if http_ok(self.ready_url):
                return
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(
            f"soakwatch: {self.name} not ready at {self.ready_url} after {timeout:.0f} s\n{self.log_tail()}"
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"(no log at {self.log_path})"
        return "\n".join(f"  {self.name}| {line}" for line in text.splitlines()[-lines:])

    def __enter__(self) -> Server:
        return self if self.running() else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """True when a GET of ``url`` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port(port: int | None) -> int:
    return port or free_port()


def nats_server(
    state_dir: Path, port: int | None = None, monitor_port: int | None = None,
    extra_args: Sequence[str] = (),
) -> Server:
    """nats-server with JetStream on 127.0.0.1; monitoring (/healthz, /varz) on ``monitor_port``."""
    port, monitor_port = _port(port), _port(monitor_port)
    argv = [
        find_binary("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor_port),
        "-js", "-sd", str(state_dir / "jetstream"), *extra_args,
    ]
    return Server(
        "nats-server", argv, f"http://127.0.0.1:{monitor_port}/healthz", state_dir / "nats-server.log",
        url=f"nats://127.0.0.1:{port}", ports={"client": port, "monitor": monitor_port},
    )


def prometheus(
    state_dir: Path, config_file: Path, port: int | None = None, extra_args: Sequence[str] = (),
    storage_dir: Path | None = None,
) -> Server:
    """Prometheus with the lifecycle API on; ``extra_args`` e.g. ``--rules.alert.resend-delay=1s``."""
    port = _port(port)
    argv = [
        find_binary("prometheus"), f"--config.file={config_file}",
        f"--storage.tsdb.path={storage_dir or state_dir / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle", *extra_args,
    ]
    url = f"http://127.0.0.1:{port}"
    return Server("prometheus", argv, f"{url}/-/ready", state_dir / "prometheus.log", url=url,
                  ports={"web": port})


def alertmanager(
    state_dir: Path, config_file: Path, port: int | None = None, extra_args: Sequence[str] = (),
) -> Server:
    """Alertmanager without clustering."""
    port = _port(port)
    argv = [
        find_binary("prometheus-alertmanager"), f"--config.file={config_file}",
        f"--storage.path={state_dir / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", *extra_args,
    ]
    url = f"http://127.0.0.1:{port}"
    return Server("alertmanager", argv, f"{url}/-/ready", state_dir / "alertmanager.log", url=url,
                  ports={"web": port})


def pushgateway(state_dir: Path, port: int | None = None, extra_args: Sequence[str] = ()) -> Server:
    """Pushgateway (no persistence)."""
    port = _port(port)
    argv = [find_binary("prometheus-pushgateway"), f"--web.listen-address=127.0.0.1:{port}", *extra_args]
    url = f"http://127.0.0.1:{port}"
    return Server("pushgateway", argv, f"{url}/-/ready", state_dir / "pushgateway.log", url=url,
                  ports={"web": port})


def victoria_metrics(state_dir: Path, port: int | None = None, extra_args: Sequence[str] = ()) -> Server:
    """Single-node VictoriaMetrics; new data is queryable at once (``-search.latencyOffset=0s``)."""
    port = _port(port)
    argv = [
        find_binary("victoria-metrics"), f"-storageDataPath={state_dir / 'victoria-metrics-data'}",
        f"-httpListenAddr=127.0.0.1:{port}", "-search.latencyOffset=0s", *extra_args,
    ]
    url = f"http://127.0.0.1:{port}"
    return Server("victoria-metrics", argv, f"{url}/health", state_dir / "victoria-metrics.log", url=url,
                  ports={"http": port})


def soakwatch_command(
    name: str, args: Sequence[str], state_dir: Path, port: int, ready_path: str = "/metrics",
    env: Mapping[str, str] | None = None,
) -> Server:
    """``python -m soakwatch <args>`` serving HTTP on 127.0.0.1:``port``, ready when ``ready_path`` answers 2xx."""
    url = f"http://127.0.0.1:{port}"
    return Server(
        name, [sys.executable, "-m", "soakwatch", *args], f"{url}{ready_path}", state_dir / f"{name}.log",
        url=url, ports={"http": port}, env=env,
    )
