"""/metrics, /health and /ready on one port, served from a thread.

A thread keeps /metrics answering even while the event loop is busy; /health reports
the loop unresponsive when its heartbeat is older than `stale_after_s` (before the first
beat the worker is starting up: alive, so 200). /ready's body says why, on one line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from stream_engine.errors import ConfigError


class MetricsServer:
    def __init__(
        self,
        registry: CollectorRegistry,
        host: str,
        port: int,
        ready: Callable[[], tuple[bool, str]] = lambda: (True, "ready"),
        stale_after_s: float = 30,
    ) -> None:
        self.registry = registry
        self.ready = ready
        self.stale_after_s = stale_after_s
        self.heartbeat: float | None = None
        handler = _handler(self)
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigError(f"cannot serve metrics on {host}:{port}: {exc.strerror}") from None
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def beat(self) -> None:
        self.heartbeat = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(server: MetricsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
            elif path == "/health":
                beat = server.heartbeat
                age = 0.0 if beat is None else time.monotonic() - beat
                ok = age < server.stale_after_s
                body = "starting" if beat is None else "ok"
                if not ok:
                    body = f"event loop unresponsive for {age:.0f}s"
                self._send(200 if ok else 503, f"{body}\n".encode(), "text/plain")
            elif path == "/ready":
                ok, reason = server.ready()
                self._send(200 if ok else 503, f"{reason}\n".encode(), "text/plain")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler
