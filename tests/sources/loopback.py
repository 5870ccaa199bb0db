"""Start and stop a threaded HTTP server on 127.0.0.1 (a free port) for tests of live-mode clients."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def start_loopback(
    handler: type[BaseHTTPRequestHandler], name: str, server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    httpd = server_class(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True)
    thread.start()
    return httpd, thread


def stop_loopback(httpd: ThreadingHTTPServer, thread: threading.Thread) -> None:
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
