"""The webhook adapter against a real local HTTP server: signing and every error mapping."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from platforms.adapters.base import (
    AuthExpired,
    Media,
    Permanent,
    PlatformError,
    PublishRequest,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.webhook import WebhookAdapter, WebhookSettings, sign, verify_signature

SECRET = "wrap-party-secret-0123456789"


@dataclass
class Reply:
    """How the receiver answers the next request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang_up: bool = False


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint that records what it got and answers as a test tells it to."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = Reply()
        self.received: list[Received] = []
        self.errors: list[BaseException] = []
        self.release = threading.Event()  # lets a slow answer finish early at teardown

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/hooks/callsheet?token=abc"

    def answer(self, status: int, body: Any = b"", **options: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.reply = Reply(status=status, body=data, **options)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The adapter hanging up on a slow answer is expected; keep anything else for asserts.
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError):
            self.errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver = self.server
        receiver.received.append(Received("POST", self.path, dict(self.headers.items()), body))
        reply = receiver.reply
        if reply.hang_up:
            self.close_connection = True
            return
        if reply.delay:
            receiver.release.wait(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert server.errors == []


def _adapter(url: str, *, timeout: float = 5.0) -> WebhookAdapter:
    settings = WebhookAdapter.parse_settings(
        {"url": url, "secret": SECRET, "timeout_seconds": timeout}
    )
    return WebhookAdapter(settings)


@pytest.fixture
def adapter(receiver: Receiver) -> Iterator[WebhookAdapter]:
    made = _adapter(receiver.url)
    yield made
    made.close()


def _request(key: str = "callsheet-7-abc") -> PublishRequest:
    return PublishRequest(
        idempotency_key=key,
        text="Night 12: the rain machine wins again ☔",
        account_handle="#crew-channel",
        media=[Media(url="https://cdn.test/rain.jpg", alt="Rain on set")],
        metadata={"delivery_id": 7, "pillar": "crew"},
    )


def _fails(adapter: WebhookAdapter, kind: type[PlatformError]) -> PlatformError:
    with pytest.raises(kind) as caught:
        adapter.publish(_request())
    assert SECRET not in str(caught.value)
    assert "token=abc" not in str(caught.value)  # the URL's query may be a credential
    return caught.value


# --- success and signing ---------------------------------------------------------------------


def test_posts_signed_json(receiver: Receiver, adapter: WebhookAdapter) -> None:
    receiver.answer(201, {"id": "msg-42", "url": "https://chat.test/msg-42"})
    result = adapter.publish(_request())
    assert (result.external_id, result.url) == ("msg-42", "https://chat.test/msg-42")

    [got] = receiver.received
    assert got.path == "/hooks/callsheet?token=abc"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Idempotency-Key"] == "callsheet-7-abc"
    assert json.loads(got.body) == {
        "idempotency_key": "callsheet-7-abc",
        "account": "#crew-channel",
        "text": "Night 12: the rain machine wins again ☔",
        "media": [{"url": "https://cdn.test/rain.jpg", "kind": "image", "alt": "Rain on set"}],
        "metadata": {"delivery_id": 7, "pillar": "crew"},
    }
    timestamp = got.headers["X-Callsheet-Timestamp"]
    signature = got.headers["X-Callsheet-Signature"]
    assert abs(int(timestamp) - time.time()) < 60
    assert signature.startswith("sha256=")
    assert verify_signature(SECRET, timestamp, got.body, signature)


def test_signature_rejects_tampering_and_replays(
    receiver: Receiver, adapter: WebhookAdapter
) -> None:
    adapter.publish(_request())
    [got] = receiver.received
    timestamp = got.headers["X-Callsheet-Timestamp"]
    signature = got.headers["X-Callsheet-Signature"]
    sent_at = int(timestamp)

    assert not verify_signature(SECRET, timestamp, got.body.replace(b"rain", b"sun"), signature)
    assert not verify_signature("another-secret-0123456789", timestamp, got.body, signature)
    assert not verify_signature(SECRET, str(sent_at + 1), got.body, signature)
    assert not verify_signature(SECRET, timestamp, got.body, signature.removeprefix("sha256="))
    assert not verify_signature(SECRET, "yesterday", got.body, signature)
    assert not verify_signature(SECRET, timestamp, got.body, "sha256=é")
    assert verify_signature(SECRET, timestamp, got.body, signature, now=sent_at + 300)
    assert not verify_signature(SECRET, timestamp, got.body, signature, now=sent_at + 301)
    assert not verify_signature(SECRET, timestamp, got.body, signature, now=sent_at - 301)
    assert verify_signature(
        SECRET, timestamp, got.body, signature, now=sent_at + 3600, tolerance_seconds=7200
    )


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k" * 16, b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k" * 16, "1700000000", b"{}") == f"sha256={expected}"


def test_answer_without_id_falls_back_to_the_key(
    receiver: Receiver, adapter: WebhookAdapter
) -> None:
    receiver.answer(204)
    result = adapter.publish(_request("key-1"))
    assert (result.external_id, result.url) == ("key-1", None)
    receiver.answer(200, b"<html>ok</html>")
    assert adapter.publish(_request("key-2")).external_id == "key-2"
    receiver.answer(200, {"id": 991})
    assert adapter.publish(_request("key-3")).external_id == "991"


# --- error mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (None, 60.0), ("soon", 60.0), ("-5", 60.0), ("inf", 60.0)],
)
def test_429_is_rate_limited(
    receiver: Receiver, adapter: WebhookAdapter, header: str | None, expected: float
) -> None:
    receiver.answer(429, b"slow down", headers={"Retry-After": header} if header else {})
    error = _fails(adapter, RateLimited)
    assert isinstance(error, RateLimited)
    assert error.retry_after == expected


def test_429_with_an_http_date(receiver: Receiver, adapter: WebhookAdapter) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    receiver.answer(429, headers={"Retry-After": later})
    error = _fails(adapter, RateLimited)
    assert isinstance(error, RateLimited)
    assert 110 <= error.retry_after <= 120
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    receiver.answer(429, headers={"Retry-After": past})
    error = _fails(adapter, RateLimited)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 0


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_mean_reconnect(
    receiver: Receiver, adapter: WebhookAdapter, status: int
) -> None:
    receiver.answer(status, {"error": "bad signature"})
    error = _fails(adapter, AuthExpired)
    assert f"HTTP {status}" in error.message
    assert "bad signature" in error.message


@pytest.mark.parametrize("status", [400, 404, 410, 422])
def test_other_4xx_is_permanent_with_the_receivers_words(
    receiver: Receiver, adapter: WebhookAdapter, status: int
) -> None:
    receiver.answer(status, b"channel #crew is archived")
    error = _fails(adapter, Permanent)
    assert f"HTTP {status}" in error.message
    assert "channel #crew is archived" in error.message
    assert "127.0.0.1" in error.message


def test_long_refusals_are_cut_and_echoed_secrets_scrubbed(
    receiver: Receiver, adapter: WebhookAdapter
) -> None:
    receiver.answer(400, f"you sent {SECRET} ".encode() + b"x" * 5000)
    error = _fails(adapter, Permanent)
    said = error.message.split(": ", 1)[1]
    assert len(said) <= 300
    assert said.startswith("you sent ******** xxx")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unknown(receiver: Receiver, adapter: WebhookAdapter, status: int) -> None:
    receiver.answer(status, b"upstream exploded")
    error = _fails(adapter, Unknown)
    assert "may have created" in error.message


def test_hang_up_after_reading_is_unknown(receiver: Receiver, adapter: WebhookAdapter) -> None:
    receiver.answer(200, hang_up=True)
    error = _fails(adapter, Unknown)
    assert "RemoteProtocolError" in error.message
    assert len(receiver.received) == 1  # the receiver did read it: the post may exist


def test_slow_answer_beyond_the_timeout_is_unknown(receiver: Receiver) -> None:
    receiver.answer(200, {"id": "late"}, delay=10)
    adapter = _adapter(receiver.url, timeout=0.3)
    started = time.monotonic()
    try:
        error = _fails(adapter, Unknown)
    finally:
        adapter.close()
    assert time.monotonic() - started < 5
    assert "ReadTimeout" in error.message


def test_refused_connection_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = _adapter(f"http://127.0.0.1:{port}/hook")
    try:
        error = _fails(adapter, Transient)
    finally:
        adapter.close()
    assert "nothing sent" in error.message


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.ConnectError, Transient),
        (httpx.ConnectTimeout, Transient),
        (httpx.PoolTimeout, Transient),
        (httpx.ReadTimeout, Unknown),
        (httpx.WriteTimeout, Unknown),
        (httpx.RemoteProtocolError, Unknown),
        (httpx.ReadError, Unknown),
    ],
)
def test_transport_failures(failure: type[httpx.TransportError], kind: type[PlatformError]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure("boom", request=request)

    with httpx.Client(transport=httpx.MockTransport(fail)) as client:
        settings = WebhookAdapter.parse_settings({"url": "https://hooks.test/x", "secret": SECRET})
        adapter = WebhookAdapter(settings, client=client)
        _fails(adapter, kind)


def test_content_that_is_not_json_is_permanent_and_unsent(
    receiver: Receiver, adapter: WebhookAdapter
) -> None:
    request = PublishRequest(
        idempotency_key="k", text="t", account_handle="#c", metadata={"x": {1, 2}}
    )
    with pytest.raises(Permanent, match="JSON"):
        adapter.publish(request)
    assert receiver.received == []


# --- clients ---------------------------------------------------------------------------------


def test_injected_client_is_used_and_left_open(receiver: Receiver) -> None:
    with httpx.Client(headers={"X-Injected": "yes"}) as client:
        settings = WebhookAdapter.parse_settings({"url": receiver.url, "secret": SECRET})
        adapter = WebhookAdapter(settings, client=client)
        adapter.publish(_request())
        adapter.close()
        assert not client.is_closed
    assert receiver.received[0].headers["X-Injected"] == "yes"


def test_own_client_is_made_lazily_and_closed(receiver: Receiver) -> None:
    adapter = _adapter(receiver.url)
    assert adapter._client is None  # validating settings opens nothing
    adapter.publish(_request())
    client = adapter._client
    assert client is not None
    adapter.close()
    assert client.is_closed
    adapter.close()  # twice is fine


# --- settings --------------------------------------------------------------------------------


def test_secret_never_shows() -> None:
    settings = WebhookAdapter.parse_settings({"url": "https://hooks.test/x", "secret": SECRET})
    adapter = WebhookAdapter(settings)
    for shown in (
        repr(settings),
        str(settings),
        repr(adapter.settings),
        settings.model_dump_json(),
    ):
        assert SECRET not in shown
    assert isinstance(settings, WebhookSettings)
    assert settings.secret.get_secret_value() == SECRET


@pytest.mark.parametrize(
    ("raw", "field_name"),
    [
        ({"secret": SECRET}, "url"),
        ({"url": "ftp://files.test/drop", "secret": SECRET}, "url"),
        ({"url": "https://", "secret": SECRET}, "url"),
        ({"url": "not a url", "secret": SECRET}, "url"),
        ({"url": "https://hooks.test/x"}, "secret"),
        ({"url": "https://hooks.test/x", "secret": "short-secret"}, "secret"),
        (
            {"url": "https://hooks.test/x", "secret": SECRET, "timeout_seconds": 0},
            "timeout_seconds",
        ),
        (
            {"url": "https://hooks.test/x", "secret": SECRET, "timeout_seconds": 61},
            "timeout_seconds",
        ),
        ({"url": "https://hooks.test/x", "secret": SECRET, "secrett": "x"}, "secrett"),
    ],
)
def test_bad_settings_name_the_field(raw: dict[str, Any], field_name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookAdapter.parse_settings(raw)
    assert caught.value.errors()[0]["loc"] == (field_name,)
    assert field_name in str(caught.value)
    assert "short-secret" not in str(caught.value)
