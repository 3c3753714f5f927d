"""Media as the web serves them: a test's file as an http link.

Callsheet never reads media from its own disk, so tests that publish a still or a video write
it under pytest's temporary directory and hand the adapter this link. One quiet file server
per temporary root, on loopback, started on first use and left to die with the test process.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_lock = threading.Lock()
_servers: dict[Path, int] = {}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def link(path: Path) -> str:
    """``path`` (a file under pytest's temporary directory) as an http link."""
    path = path.resolve()
    root = next((p for p in path.parents if p.name.startswith("pytest-")), path.parent)
    with _lock:
        if root not in _servers:
            handler = functools.partial(_Quiet, directory=str(root))
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _servers[root] = server.server_address[1]
        port = _servers[root]
    return f"http://127.0.0.1:{port}/{path.relative_to(root).as_posix()}"
