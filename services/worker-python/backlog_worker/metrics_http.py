"""Serves a registry on GET /metrics, negotiating the format as
packages/common/src/metrics-http.ts does: OpenMetrics when the scraper asks
for it (Prometheus does), the classic text format 0.0.4 otherwise (curl,
promtool). Anything else is a 404. The server runs on its own thread, so a
scrape never waits for the event loop.
"""

from __future__ import annotations

import errno
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder


class MetricsServer:
    def __init__(self, registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> None:
        self._registry = registry
        self._port = port
        self._host = host
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Binds and serves; returns the port actually bound (useful with port 0)."""
        registry = self._registry

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path != "/metrics" and not self.path.startswith("/metrics?"):
                    self._reply(404, "text/plain", b"not found: try GET /metrics\n")
                    return
                encode, content_type = choose_encoder(self.headers.get("Accept", ""))
                try:
                    self._reply(200, content_type, encode(registry))
                except Exception as error:  # a collector failed: say so, as the TS worker does
                    self._reply(500, "text/plain", f"{error}\n".encode())

            def _reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # one JSON logger only; scrapes are not worth a line each

        try:
            server = ThreadingHTTPServer((self._host, self._port), Handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise RuntimeError(f"metrics port {self._port} on {self._host} is already in use") from None
            raise
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()
        return int(server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
