"""A local webhook endpoint that checks every request's Callsheet signature.

The demo uses it as the production's team channel; tests use it as a real HTTP receiver. It
verifies signatures with the same function a real receiver would (``verify_signature``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from platforms.adapters.webhook import verify_signature


class WebhookReceiver:
    """Answers 200 with an id to a well-signed POST, 401 to anything else; keeps what came."""

    def __init__(self, *, delay: float = 0.0, throttled: int = 0) -> None:
        #: Seconds each answer waits after the post is recorded: a slow channel, for tests that
        #: need a worker caught in the middle of its work.
        self.delay = delay
        #: The first ``throttled`` well-signed posts are answered 429 with ``Retry-After: 1``
        #: and not kept: a channel that asks to be tried again later.
        self.throttled = throttled
        self.secret = secrets.token_urlsafe(24)
        self.count = 0
        self.bad_signatures = 0
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/callsheet"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                good = verify_signature(
                    receiver.secret,
                    self.headers.get("X-Callsheet-Timestamp", ""),
                    body,
                    self.headers.get("X-Callsheet-Signature", ""),
                )
                with receiver._lock:
                    receiver.count += 1
                    refused = good and receiver.throttled > 0
                    if not good:
                        receiver.bad_signatures += 1
                    elif refused:
                        receiver.throttled -= 1
                    else:
                        receiver.received.append(json.loads(body))
                    number = len(receiver.received)
                if refused:
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(receiver.delay)
                answer = json.dumps({"id": f"msg-{number}"}).encode() if good else b"{}"
                self.send_response(200 if good else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the demo prints its own report."""

        return Handler
