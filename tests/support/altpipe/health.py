"""Each process's HTTP health endpoint: ``GET /health`` -> ``{"state": "ok"}`` (or ``down`` after a fault)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(state: Callable[[], str], port: int = 0) -> ThreadingHTTPServer:
    """Serve ``/health`` on 127.0.0.1 in a daemon thread; ``port`` 0 lets the system pick one."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/health":
                self.send_error(404)
                return
            body = json.dumps({"state": state()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
