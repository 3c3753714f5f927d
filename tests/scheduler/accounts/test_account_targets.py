"""Accounts never point Callsheet at private addresses: every URL in their settings (a
webhook's, a Mastodon server's, a Discord webhook kept as a secret) is checked when saved
and when reconnected, with production's setting (``CALLSHEET_ALLOW_PRIVATE_TARGETS`` off)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from scheduler.accounts.connections import adapter_settings
from scheduler.core.config import Settings, get_settings
from scheduler.core.models import Account
from tests import factories

SECRET = "hook-secret-0123456789abcdef"


@pytest.fixture
def no_private_targets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("platform", "settings", "field", "words"),
    [
        (
            "webhook",
            {"url": "http://169.254.169.254/latest/meta-data/", "secret": SECRET},
            "settings.url",
            "169.254.169.254 is a link-local address",
        ),
        (
            "webhook",
            {"url": "http://[::1]:6379/", "secret": SECRET},
            "settings.url",
            "::1 is a loopback address",
        ),
        (
            "webhook",
            {"url": "http://localhost:8000/in", "secret": SECRET},
            "settings.url",
            "localhost (127.0.0.1) is a loopback address",
        ),
        (
            "mastodon",
            {"base_url": "http://10.1.2.3", "access_token": "token-0123456789"},
            "settings.base_url",
            "10.1.2.3 is a private address",
        ),
        (
            "discord",
            {"webhook_url": "http://127.0.0.1:6379/api/webhooks/1/discord-token-0001"},
            "settings.webhook_url",
            "127.0.0.1 is a loopback address",
        ),
    ],
)
def test_an_account_at_a_private_address_is_a_422_naming_the_setting(
    client: httpx.Client,
    no_private_targets: None,
    platform: str,
    settings: dict[str, Any],
    field: str,
    words: str,
) -> None:
    answer = client.post(
        "/accounts", json={"platform": platform, "handle": "#crew", "settings": settings}
    )

    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert field in ".".join(str(part) for part in problem["loc"])
    assert words in problem["msg"]
    assert "discord-token-0001" not in answer.text
    assert client.get("/accounts").json() == []


def test_reconnecting_cannot_move_an_account_to_a_private_address(
    client: httpx.Client, session: Session, no_private_targets: None
) -> None:
    account = factories.webhook_account(session, "https://93.184.215.14/in", SECRET)
    session.commit()

    answer = client.put(
        f"/accounts/{account.id}/credentials",
        json={"settings": {"url": "http://127.0.0.1:6379/", "secret": SECRET}},
    )

    assert answer.status_code == 422, answer.text
    assert "127.0.0.1 is a loopback address" in answer.text
    session.expire_all()
    stored = session.get_one(Account, account.id)
    assert adapter_settings(stored)["url"] == "https://93.184.215.14/in"


def test_production_sends_only_to_public_addresses_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(environment="development").allow_private_targets
    assert Settings(environment="test").allow_private_targets
    assert not Settings(environment="production").allow_private_targets
    assert Settings(environment="production").require_https
    assert not Settings(environment="test").require_https
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "true")
    assert Settings(environment="production").allow_private_targets  # said explicitly
