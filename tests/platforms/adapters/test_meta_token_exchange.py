"""Extending a Facebook or Instagram token sends the app secret and the token in a form body,
never in a URL: every URL the adapter requests is searched for them, against the sandbox.

Before, the exchange was ``GET /oauth/access_token?…&client_secret=…&fb_exchange_token=…``,
so both secrets were in a URL, which proxies, load balancers and access logs keep.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from platforms.adapters.meta_adapter import FacebookLoginAdapter
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl

TOKEN = "page-token-3e9a1c7b5d"
APP_SECRET = "app-secret-8d2f6b0c4a"
ACCOUNTS = {
    "facebook": {"page_id": "1049981"},
    "instagram": {"ig_user_id": "17841400008460056", "poll_interval_seconds": 0.01},
}


@pytest.fixture
def requested() -> Iterator[tuple[httpx.Client, list[httpx.Request]]]:
    """A client that remembers every request it sent."""
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}) as client:
        yield client, sent


@pytest.mark.parametrize("platform", sorted(ACCOUNTS))
def test_the_token_exchange_keeps_the_app_secret_and_the_token_out_of_urls(
    platform: str,
    sandbox: SandboxControl,
    requested: tuple[httpx.Client, list[httpx.Request]],
) -> None:
    client, sent = requested
    now = datetime.now(UTC)
    settings = {
        **ACCOUNTS[platform],
        "access_token": TOKEN,
        "base_url": sandbox.url(platform),
        "app_id": "778",
        "app_secret": APP_SECRET,
        "token_expires_at": (now + timedelta(days=2)).isoformat(),
    }
    adapter = build_adapter(platform, settings, client=client)
    assert isinstance(adapter, FacebookLoginAdapter)

    adapter.prepare(now)

    fresh = adapter.take_changes()["access_token"]
    assert isinstance(fresh, SecretStr)
    assert fresh.get_secret_value() not in ("", TOKEN)  # the sandbox extended it
    urls = [str(r.url) for r in sent]
    assert [url for url in urls if APP_SECRET in url or TOKEN in url] == []
    [exchange] = [r for r in sent if r.url.path.endswith("/oauth/access_token")]
    assert exchange.method == "POST"
    assert APP_SECRET in exchange.content.decode()  # in the form body
