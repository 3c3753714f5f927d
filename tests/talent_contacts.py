"""Where a talent's sign-off link lands in tests: a real SMTP server and a real hook receiver.

``Mailbox`` is aiosmtpd listening on 127.0.0.1 (with a user and password, so Callsheet signs
in as it would at a real relay); it keeps every message it accepts, and refuses recipients it
is told to with the code a real server gives. ``HookCatcher`` is a plain HTTP server that
keeps every JSON body POSTed to it. Both give back the link exactly as the talent got it.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.conftest import free_port

USER, PASSWORD = "callsheet", "relay-pass-5f2c9e"
LINK = re.compile(r"https?://\S+/signoff/[^\s\"'()]+")


def api_link(link: str) -> str:
    """The API's address for the token a link carries: the link opens the talent's page
    (``/app/signoff/…``), the API answers JSON at ``/signoff/…``."""
    assert "/app/signoff/" in link, link
    return link.replace("/app/signoff/", "/signoff/", 1)


class _Keeper:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.mailbox.refused:
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mailbox.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def _password_is_right(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good)


class Mailbox:
    """A real SMTP server on a free local port; start it with ``start`` (``port`` is known
    before, so a test can point Callsheet at a server that is not listening yet)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refused: set[str] = set()
        self._controller: Controller | None = None  # made on start: it owns an event loop

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def url(self) -> str:
        return f"smtp://{USER}:{PASSWORD}@127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            _Keeper(self),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_password_is_right,
            auth_require_tls=False,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller.loop.close()
            self._controller = None

    def links(self) -> list[tuple[str, str]]:
        """(recipient, link) for every message received, in order."""
        found = []
        for recipients, message in self.received:
            body = message.get_body(("plain",))
            assert body is not None
            text = body.get_content()
            found += [(recipients[0], link) for link in LINK.findall(text)]
        return found


class HookCatcher:
    """A real HTTP receiver on a free local port that keeps what is POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if catcher.status < 300:
                    catcher.received.append({"path": self.path, "json": json.loads(body)})
                self.send_response(catcher.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if catcher.status < 300 else b"nope")

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def links(self) -> list[str]:
        return [str(item["json"]["callsheet"]["link"]) for item in self.received]
