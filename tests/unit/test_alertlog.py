"""The alert-log webhook receiver: one JSON line per alert per notification, 400 on bad bodies, never a crash."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from soakwatch import alertlog
from soakwatch.stack import free_port

FIRING = {
    "version": "4", "status": "firing", "receiver": "critical", "groupKey": "{}:{alertname=\"SoakProcessDown\"}",
    "groupLabels": {"alertname": "SoakProcessDown", "process": "signal"},
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "SoakProcessDown", "severity": "critical", "process": "signal",
                       "pipeline": "dev", "run_id": "20261130T162200Z-3fa9"},
            "annotations": {"summary": "A soak process is down.", "runbook_url": "docs/runbooks/SoakProcessDown.md"},
            "startsAt": "2026-01-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph", "fingerprint": "abc123",
        },
        {
            "status": "resolved",
            "labels": {"alertname": "SoakProcessDown", "severity": "critical", "process": "broker"},
            "annotations": {},
            "startsAt": "2026-01-01T09:50:00Z", "endsAt": "2026-01-01T09:55:00Z",
            "generatorURL": "", "fingerprint": "def456",
        },
    ],
}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = tmp_path / "alerts.jsonl"
    log = alertlog.AlertLog(out)
    server = alertlog.AlertLogServer(("127.0.0.1", 0), log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()
        log.close()
        thread.join(5)


def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_records_carry_status_times_names_labels_and_annotations():
    records = alertlog.records_from_body(json.dumps(FIRING).encode(), "2026-01-01T10:00:01.000Z")
    assert records[0] == {
        "receivedAt": "2026-01-01T10:00:01.000Z", "receiver": "critical", "status": "firing",
        "alertname": "SoakProcessDown", "severity": "critical", "pipeline": "dev", "run_id": "20261130T162200Z-3fa9",
        "startsAt": "2026-01-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
        "labels": FIRING["alerts"][0]["labels"], "annotations": FIRING["alerts"][0]["annotations"],
        "fingerprint": "abc123", "generatorURL": "http://127.0.0.1:9090/graph",
    }
    assert records[1]["status"] == "resolved"
    assert records[1]["endsAt"] == "2026-01-01T09:55:00Z"
    assert (records[1]["pipeline"], records[1]["run_id"]) == ("", "")  # an alert without the labels


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b"[" * 200_000, "body is nested too deeply"),
        (b'{"receiver": "x"}', "alerts must be a list"),
        (b'{"alerts": [1]}', r"alerts\[0\] must be an object"),
        (b'{"alerts": [{"status": "firing"}]}', r"alerts\[0\].labels must be an object of strings"),
        (b'{"alerts": [{"status": "firing", "labels": {"a": 1}}]}', r"alerts\[0\].labels must be an object"),
        (b'{"alerts": [{"status": "odd", "labels": {}}]}', r"alerts\[0\].status must be 'firing' or 'resolved'"),
        (b'{"receiver": 3, "alerts": []}', "receiver must be a string"),
    ],
)
def test_bad_bodies_are_rejected_with_the_reason(body, reason):
    with pytest.raises(alertlog.PayloadError, match=reason):
        alertlog.records_from_body(body, "now")


def test_one_json_line_per_alert_per_notification(receiver):
    url, out = receiver
    assert _post(f"{url}/alerts", json.dumps(FIRING).encode()) == (200, "logged 2 alert(s)\n")
    assert _post(f"{url}/alerts", json.dumps(FIRING).encode())[0] == 200
    lines = _lines(out)
    assert [(r["alertname"], r["status"], r["labels"]["process"]) for r in lines] == [
        ("SoakProcessDown", "firing", "signal"), ("SoakProcessDown", "resolved", "broker"),
    ] * 2
    assert all(r["receivedAt"].endswith("Z") for r in lines)


def test_bad_body_gets_400_is_logged_and_the_receiver_keeps_going(receiver, caplog):
    url, out = receiver
    with caplog.at_level(logging.WARNING, logger="soakwatch.alertlog"):
        status, text = _post(f"{url}/alerts", b'{"alerts": "nope"}')
    assert status == 400
    assert "bad webhook payload: alerts must be a list" in text
    assert "rejected a webhook from 127.0.0.1: alerts must be a list" in caplog.text
    assert _post(f"{url}/alerts", json.dumps(FIRING).encode())[0] == 200
    assert len(_lines(out)) == 2


def test_oversized_body_and_wrong_path_are_refused(receiver, monkeypatch):
    url, out = receiver
    monkeypatch.setattr(alertlog, "MAX_BODY_BYTES", 1000)
    status, text = _post(f"{url}/alerts", json.dumps(FIRING).encode() + b" " * 1000)
    size = len(json.dumps(FIRING)) + 1000
    assert (status, text) == (400, f"bad webhook payload: body must be 0..1000 bytes, got {size}\n")
    assert _post(f"{url}/other", json.dumps(FIRING).encode())[0] == 404
    assert not out.exists() or out.read_text() == ""


def test_ready_endpoint(receiver):
    url, _ = receiver
    with urllib.request.urlopen(f"{url}/-/ready", timeout=5) as response:
        assert response.status == 200


def test_port_in_use_is_exit_code_2(tmp_path, caplog):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with caplog.at_level(logging.ERROR, logger="soakwatch.alertlog"):
            code = alertlog.main(["--listen", f"127.0.0.1:{port}", "--out", str(tmp_path / "a.jsonl")])
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text


def test_bad_listen_flag_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        alertlog.main(["--listen", "127.0.0.1:notaport"])
    assert exc.value.code == 2
    assert "is not HOST:PORT" in capsys.readouterr().err


def test_listen_from_the_environment(monkeypatch):
    port = free_port()
    monkeypatch.setenv("SOAK_ALERT_LOG_LISTEN", f"127.0.0.1:{port}")
    args = alertlog._parser("x").parse_args([])
    assert args.listen == ("127.0.0.1", port)


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_rotated_file_is_reopened_before_the_next_write(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    log = alertlog.AlertLog(out)
    try:
        log.append([{"n": 1}])
        out.rename(tmp_path / "alerts.jsonl.1")  # logrotate's default: rename, then the writer must create anew
        log.append([{"n": 2}])
        assert _records(tmp_path / "alerts.jsonl.1") == [{"n": 1}]
        assert _records(out) == [{"n": 2}]
        out.unlink()
        log.append([{"n": 3}])
        assert _records(out) == [{"n": 3}]
    finally:
        log.close()


def test_reopen_on_request_keeps_appending(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    log = alertlog.AlertLog(out)
    try:
        log.append([{"n": 1}])
        log.reopen()
        log.append([{"n": 2}])
        assert _records(out) == [{"n": 1}, {"n": 2}]
    finally:
        log.close()


def test_a_client_that_sends_headers_and_no_body_is_dropped(tmp_path: Path, caplog) -> None:
    import socket
    import time

    log = alertlog.AlertLog(tmp_path / "alerts.jsonl")
    server = alertlog.AlertLogServer(("127.0.0.1", 0), log, read_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(b"POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            began = time.monotonic()
            assert sock.recv(1024) == b""  # the server closed the connection
            assert time.monotonic() - began < 5
        assert "no body within" in caplog.text
        status, _ = _post(f"http://127.0.0.1:{server.server_address[1]}/alerts", json.dumps(FIRING).encode())
        assert status == 200
    finally:
        server.shutdown()
        server.server_close()
        log.close()
        thread.join(5)


def test_every_alert_runbook_link_opens_from_the_alert_log(tmp_path: Path) -> None:
    import yaml

    from soakwatch import rulegen

    root = Path(__file__).resolve().parents[2]
    base = rulegen.load_config(root / "prometheus" / "thresholds.yml").runbook_url_base
    log = alertlog.AlertLog(tmp_path / "alerts.jsonl")
    server = alertlog.AlertLogServer(("127.0.0.1", 0), log, runbooks=root / "docs" / "runbooks")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    here = f"http://127.0.0.1:{server.server_address[1]}/runbooks/"
    try:
        rules = [r for f in sorted((root / "prometheus" / "rules").glob("*.yml"))
                 for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if "alert" in r]
        assert rules
        for rule in rules:
            url = rule["annotations"]["runbook_url"]
            assert url.startswith(base), url
            with urllib.request.urlopen(here + url.removeprefix(base), timeout=5) as response:
                assert response.headers["Content-Type"].startswith("text/markdown")
                assert response.read().decode().startswith(f"# {rule['alert']}\n")
        for bad in ("../alerts.jsonl", "Nope.md", "..%2Fx.md"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(here + bad, timeout=5)
            assert info.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
        log.close()
        thread.join(5)
