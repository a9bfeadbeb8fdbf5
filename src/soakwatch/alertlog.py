"""`soakwatch alert-log`: receive Alertmanager webhooks and append each alert as a JSON line.

One line per alert per notification, so a run's alert history (both edges:
firing and resolved) can be read back for the evidence bundle::

    {"receivedAt": "2026-01-01T10:02:07.312Z", "receiver": "critical", "status": "firing",
     "alertname": "SoakSignalsStalled", "severity": "critical", "pipeline": "demo",
     "run_id": "20261130T162200Z-3fa9",
     "startsAt": "2026-01-01T10:02:06.5Z", "endsAt": "0001-01-01T00:00:00Z",
     "labels": {...}, "annotations": {...}, "fingerprint": "...", "generatorURL": "..."}

A body that is not an Alertmanager webhook payload gets a 400 and one log line;
the receiver keeps running. A client that stops sending is dropped after ``--read-timeout``.
``GET /runbooks/<Alert>.md`` serves the runbook pages (``--runbooks``, default the checkout's
docs/runbooks), which is where the rules' ``runbook_url`` points by default, so the links in
Alertmanager, Slack and email open.
The file is reopened when it was rotated (renamed or removed) and on SIGHUP, so logrotate
works with its default ``create`` mode as well as with ``copytruncate``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

from soakwatch.options import CommandParser, env_flag, host_port, positive_float

log = logging.getLogger("soakwatch.alertlog")

MAX_BODY_BYTES = 1 << 20
RUNBOOK_NAME = re.compile(r"^/runbooks/([A-Za-z0-9_-]+\.md)$")
_CHECKOUT_RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_LISTEN = "127.0.0.1:9096"
DEFAULT_PATH = "/alerts"


class PayloadError(ValueError):
    """The body is not an Alertmanager webhook payload; the message says why."""


def _mapping_of_strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise PayloadError(f"{where} must be an object of strings")
    return value


def _record(alert: Any, index: int, receiver: str, received_at: str) -> dict[str, Any]:
    where = f"alerts[{index}]"
    if not isinstance(alert, dict):
        raise PayloadError(f"{where} must be an object")
    labels = _mapping_of_strings(alert.get("labels"), f"{where}.labels")
    annotations = _mapping_of_strings(alert.get("annotations", {}), f"{where}.annotations")
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f"{where}.status must be 'firing' or 'resolved'")
    return {
        "receivedAt": received_at, "receiver": receiver, "status": status,
        "alertname": labels.get("alertname", ""), "severity": labels.get("severity", ""),
        "pipeline": labels.get("pipeline", ""), "run_id": labels.get("run_id", ""),
        "startsAt": alert.get("startsAt"), "endsAt": alert.get("endsAt"),
        "labels": labels, "annotations": annotations,
        "fingerprint": alert.get("fingerprint", ""), "generatorURL": alert.get("generatorURL", ""),
    }


def records_from_body(body: bytes, received_at: str) -> list[dict[str, Any]]:
    """The JSON-line records of one webhook body; raises PayloadError on anything else."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not JSON ({exc})") from None
    except RecursionError:
        raise PayloadError("body is nested too deeply") from None
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts must be a list")
    receiver = payload.get("receiver", "")
    if not isinstance(receiver, str):
        raise PayloadError("receiver must be a string")
    return [_record(alert, i, receiver, received_at) for i, alert in enumerate(alerts)]


def utc_now() -> str:
    """RFC 3339 UTC with milliseconds, as Alertmanager writes times."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AlertLog:
    """Appends records to a JSON-lines file; one lock, one write and flush per notification.

    Before each write the file is reopened if the path no longer names the open file (rotated away)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._file: BinaryIO = self._open()

    def _open(self) -> BinaryIO:
        return open(self.path, "ab")

    def _rotated(self) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return True
        held = os.fstat(self._file.fileno())
        return (on_disk.st_dev, on_disk.st_ino) != (held.st_dev, held.st_ino)

    def reopen(self) -> None:
        """Close and reopen the file (SIGHUP, or a rotation seen before a write)."""
        with self._lock:
            self._reopen()

    def _reopen(self) -> None:
        self._file.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._open()

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        data = b"".join(json.dumps(r, sort_keys=True).encode() + b"\n" for r in records)
        with self._lock:
            if self._rotated():
                self._reopen()
            self._file.write(data)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class _Handler(BaseHTTPRequestHandler):
    server: AlertLogServer
    server_version = "soakwatch-alert-log"

    def setup(self) -> None:
        self.request.settimeout(self.server.read_timeout)
        super().setup()

    def do_GET(self) -> None:
        runbook = RUNBOOK_NAME.match(self.path)
        if runbook:
            self._runbook(runbook.group(1))
            return
        ok = self.path in ("/-/ready", "/-/healthy")
        self._reply(HTTPStatus.OK if ok else HTTPStatus.NOT_FOUND, "ok" if ok else "not found")

    def _runbook(self, name: str) -> None:
        folder = self.server.runbooks
        if folder is None:
            self._reply(HTTPStatus.NOT_FOUND, "no runbooks here: start alert-log with --runbooks DIR")
            return
        try:
            text = (folder / name).read_text(encoding="utf-8")
        except OSError:
            self._reply(HTTPStatus.NOT_FOUND, f"no runbook {name}")
            return
        self._reply(HTTPStatus.OK, text.rstrip("\n"), "text/markdown")

    def do_POST(self) -> None:
        if self.path != self.server.webhook_path:
            self._reply(HTTPStatus.NOT_FOUND, f"post webhooks to {self.server.webhook_path}")
            return
        try:
            body = self._body()
            records = records_from_body(body, utc_now())
        except TimeoutError:
            log.warning("alert-log: dropped %s: no body within %.0f s", self.client_address[0],
                        self.server.read_timeout)
            self.close_connection = True
            return
        except PayloadError as exc:
            log.warning("alert-log: rejected a webhook from %s: %s", self.client_address[0], exc)
            self._reply(HTTPStatus.BAD_REQUEST, f"bad webhook payload: {exc}")
            return
        try:
            self.server.alert_log.append(records)
        except OSError as exc:
            log.error("alert-log: cannot write %s: %s", self.server.alert_log.path, exc)
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, "cannot write the alert log")
            return
        self._reply(HTTPStatus.OK, f"logged {len(records)} alert(s)")

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise PayloadError("Content-Length is missing or not a number") from None
        if not 0 <= length <= MAX_BODY_BYTES:
            self._discard(length)
            raise PayloadError(f"body must be 0..{MAX_BODY_BYTES} bytes, got {length}")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise PayloadError(f"body ended after {len(body)} of {length} bytes")
        return body

    def _discard(self, length: int) -> None:
        """Read an oversized body away (up to a cap) so the client gets the 400, not a reset."""
        self.close_connection = True
        left = min(length, 64 * MAX_BODY_BYTES)
        while left > 0 and (chunk := self.rfile.read(min(left, 65536))):
            left -= len(chunk)

    def _reply(self, status: HTTPStatus, text: str, content_type: str = "text/plain") -> None:
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("alert-log: %s " + format, self.client_address[0], *args)


class AlertLogServer(ThreadingHTTPServer):
    """HTTP server that writes every webhook it accepts to an :class:`AlertLog`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], alert_log: AlertLog, webhook_path: str = DEFAULT_PATH,
                 read_timeout: float = DEFAULT_READ_TIMEOUT, runbooks: Path | None = None) -> None:
        super().__init__(address, _Handler)
        self.read_timeout = read_timeout
        self.runbooks = runbooks
        self.alert_log = alert_log
        self.webhook_path = webhook_path


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=prog, description="Receive Alertmanager webhooks and append each alert as one JSON line.",
        epilog="Log rotation: the file is reopened when it is renamed or removed (logrotate's create mode) and on "
               "SIGHUP; copytruncate works too, since every write appends.",
    )
    env_flag(parser, "--listen", env="SOAK_ALERT_LOG_LISTEN", default=DEFAULT_LISTEN, type=host_port,
             help="HOST:PORT to listen on")
    env_flag(parser, "--out", env="SOAK_ALERT_LOG_OUT", default="alerts.jsonl", type=Path,
             help="JSON-lines file to append to")
    env_flag(parser, "--path", env="SOAK_ALERT_LOG_PATH", default=DEFAULT_PATH,
             help="URL path that receives the webhooks")
    env_flag(parser, "--read-timeout", env="SOAK_ALERT_LOG_READ_TIMEOUT", default=DEFAULT_READ_TIMEOUT,
             type=positive_float, help="seconds a client may take to send a request before it is dropped")
    env_flag(parser, "--runbooks", env="SOAK_ALERT_LOG_RUNBOOKS", type=Path,
             default=_CHECKOUT_RUNBOOKS if _CHECKOUT_RUNBOOKS.is_dir() else None,
             help="folder of runbook pages served at /runbooks/<Alert>.md")
    env_flag(parser, "--log-level", env="SOAK_LOG_LEVEL", default="info",
             choices=["debug", "info", "warning", "error"], help="log level")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "soakwatch alert-log") -> int:
    args = _parser(prog).parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    alert_log = AlertLog(Path(args.out))
    try:
        server = AlertLogServer(args.listen, alert_log, args.path, args.read_timeout, args.runbooks)
    except OSError as exc:
        alert_log.close()
        log.error("alert-log: cannot listen on %s:%d: %s", *args.listen, exc.strerror or exc)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGHUP, lambda *_: alert_log.reopen())
    host, port = server.server_address[:2]
    log.info("alert-log: listening on http://%s:%d%s, appending to %s (pid %d)",
             host, port, args.path, os.path.abspath(args.out), os.getpid())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        alert_log.close()
    return 0
