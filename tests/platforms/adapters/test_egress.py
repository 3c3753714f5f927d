"""The egress policy: what may be saved, and what a connection may reach (real sockets)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from platforms.adapters import egress
from platforms.adapters.base import Media, Permanent, PublishRequest
from platforms.adapters.egress import EgressRefused, check_url, egress_client
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl

PUBLIC = "93.184.215.14"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class Site:
    """A small web server on one loopback address; counts what it is asked."""

    def __init__(self, host: str, answer: tuple[int, dict[str, str], bytes]) -> None:
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                status, headers, body = answer
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def inside() -> Iterator[Site]:
    """An internal service (a metadata endpoint, an admin page) on 127.0.0.2."""
    site = Site("127.0.0.2", (200, {"Content-Type": "image/png"}, PNG))
    yield site
    site.stop()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "is a link-local address"),
        ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1 is a loopback address"),
        ("http://[2002:a00:1::]/", "2002:a00:1:: is a private address"),
        ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://localhost/", "localhost (127.0.0.1) is a loopback address"),
        ("ftp://files.example/in", "must be an http:// or https:// URL"),
        ("/etc/passwd", "must be an http:// or https:// URL"),
        ("http:///nohost", "must be an http:// or https:// URL"),
    ],
)
def test_check_url_refuses_what_is_not_public(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        check_url(url, allow_private=False, require_https=False)


def test_every_address_a_name_resolves_to_must_be_public() -> None:
    def two_faced(host: str, port: int) -> list[str]:
        return [PUBLIC, "10.0.0.5"]

    with pytest.raises(ValueError, match=r"hooks.example \(10.0.0.5\) is a private address"):
        check_url(
            "https://hooks.example/in", allow_private=False, require_https=True, resolver=two_faced
        )
    assert check_url(f"https://{PUBLIC}/in", allow_private=False, require_https=True)


def test_production_wants_https_and_the_allowance_skips_the_address_check() -> None:
    with pytest.raises(ValueError, match="must be an https:// URL"):
        check_url(f"http://{PUBLIC}/in", allow_private=False, require_https=True)
    assert check_url("http://127.0.0.1:9/", allow_private=True, require_https=False)


def test_a_name_rebound_to_a_private_address_after_saving_is_refused_at_connect(
    inside: Site,
) -> None:
    url = f"http://rebind.example:{inside.port}/hook?token=abc"
    answers = {"rebind.example": PUBLIC}

    def resolver(host: str, port: int) -> list[str]:
        return [answers[host]]

    assert check_url(url, allow_private=False, require_https=False, resolver=resolver)
    answers["rebind.example"] = "127.0.0.2"

    http = egress_client(allow_private=False, require_https=False, resolver=resolver)
    with http, pytest.raises(EgressRefused, match=r"rebind\.example \(127\.0\.0\.2\)") as refused:
        http.post(url, content=b"{}")

    assert isinstance(refused.value, Permanent)  # nothing was sent; no retry will help
    assert "token" not in str(refused.value)
    assert inside.hits == []


def test_plain_http_is_refused_before_connecting_when_https_is_required(inside: Site) -> None:
    http = egress_client(allow_private=True, require_https=True)
    with http, pytest.raises(EgressRefused, match="plain http"):
        http.get(f"http://127.0.0.2:{inside.port}/")
    assert inside.hits == []


def test_a_media_link_redirecting_inside_is_refused_and_nothing_is_posted(
    sandbox: SandboxControl, inside: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """127.0.0.1 (the sandbox, the media host) stands for the internet here; 127.0.0.2 is
    inside. The link answers with a redirect to the inside; the adapter's client refuses the
    hop where it connects."""
    judge = egress.why_private
    monkeypatch.setattr(egress, "why_private", lambda a: None if a == "127.0.0.1" else judge(a))
    moved = Site(
        "127.0.0.1",
        (302, {"Location": f"http://127.0.0.2:{inside.port}/latest/meta-data/still.png"}, b""),
    )
    http = egress_client(allow_private=False, require_https=False)
    adapter = build_adapter(
        "mastodon",
        {
            "base_url": sandbox.url("mastodon"),
            "access_token": "mastodon-token-0123456789abcdef:crew",
        },
        client=http,
    )
    request = PublishRequest(
        idempotency_key="callsheet-1-abc",
        text="Night 12 on the pier",
        account_handle="crew",
        media=[Media(url=f"http://127.0.0.1:{moved.port}/still.png", alt="The pier")],
    )
    try:
        with pytest.raises(EgressRefused, match=r"127\.0\.0\.2 is a loopback address"):
            adapter.publish(request)
    finally:
        adapter.close()
        http.close()
        moved.stop()

    assert moved.hits == ["/still.png"]
    assert inside.hits == []
    assert sandbox.posts("mastodon") == []


def test_a_media_link_that_is_not_http_is_never_read() -> None:
    from platforms.adapters.media import load_media

    for url in ("/etc/passwd", "file:///etc/passwd", "../../etc/hostname", "/nonexistent"):
        with pytest.raises(Permanent) as refused:
            load_media(Media(url=url))
        assert (
            str(refused.value)
            == "media must be an http(s) link; files on the server are never read"
        )
