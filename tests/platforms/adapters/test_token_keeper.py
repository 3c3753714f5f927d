"""Every refresh path goes through the account's keeper: one refresh, the others adopt it.

Two adapters of one account are built from the same stored credentials, as two workers would
be. The first refreshes (under the keeper's lock) and the keeper stores what it got; the
second, finding newer credentials stored than the ones it holds, adopts them and spends no
refresh of its own. A keeper here is the contract alone (a dictionary and a lock); the
worker's, on Redis or the database, is tested in ``tests/workers/test_token_refresh.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from platforms.adapters.base import Adapter, PublishRequest
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl


class DictKeeper:
    """A ``TokenKeeper`` over one dictionary: what a worker's keeper does, without a database."""

    def __init__(self, stored: Mapping[str, Any]) -> None:
        self.stored = dict(stored)
        self.saved: list[set[str]] = []
        self._lock = threading.Lock()

    @contextmanager
    def refreshing(self) -> Iterator[Mapping[str, Any]]:
        with self._lock:
            yield dict(self.stored)

    def save(self, changes: Mapping[str, Any]) -> None:
        self.saved.append(set(changes))
        self.stored.update(changes)


def _in(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


#: Each platform's refreshable account on the sandbox, its token due for renewal.
ACCOUNTS: dict[str, Callable[[SandboxControl], dict[str, Any]]] = {
    "x": lambda sandbox: {
        "base_url": sandbox.url("x"),
        "access_token": "x-access-token-0123456789:crew",
        "refresh_token": "x-refresh-token-abcdefghij:crew",
        "client_id": "callsheet-app",
        "token_expires_at": _in(-timedelta(hours=1)),
    },
    "linkedin": lambda sandbox: {
        "author": "urn:li:organization:2414183",
        "base_url": sandbox.url("linkedin"),
        "oauth_url": sandbox.url("linkedin"),
        "access_token": "li-access-3d9f1a7c5e",
        "refresh_token": "li-refresh-8b6a4c2e0d",
        "client_id": "cid",
        "client_secret": "li-client-secret-5a4b3c2d1e",
        "token_expires_at": _in(timedelta(minutes=3)),
    },
    "tiktok": lambda sandbox: {
        "base_url": sandbox.url("tiktok"),
        "access_token": "tt-access-0123456789:crew-cam",
        "refresh_token": "tt-refresh-9876543210:crew-cam",
        "client_key": "callsheet-app",
        "client_secret": "tt-client-secret-abcdef",
        "token_expires_at": _in(timedelta(minutes=2)),
    },
    "youtube": lambda sandbox: {
        "base_url": sandbox.url("youtube"),
        "token_url": f"{sandbox.url('youtube')}/token",
        "access_token": "ya29.access-0123456789:bts-channel",
        "refresh_token": "1//refresh-9876543210:bts-channel",
        "client_id": "callsheet.apps.googleusercontent.com",
        "client_secret": "GOCSPX-client-secret-abc",
        "token_expires_at": _in(timedelta(minutes=3)),
    },
    "facebook": lambda sandbox: {
        "page_id": "1049981",
        "base_url": sandbox.url("facebook"),
        "access_token": "page-token-5f1d2c9a7b",
        "app_id": "778",
        "app_secret": "app-secret-0a9b8c7d6e",
        "token_expires_at": _in(timedelta(days=3)),
    },
    "instagram": lambda sandbox: {
        "ig_user_id": "17841400008460056",
        "base_url": sandbox.url("instagram"),
        "access_token": "ig-token-7c1e5a9d3b",
        "app_id": "778",
        "app_secret": "app-secret-1b2c3d4e5f",
        "token_expires_at": _in(timedelta(days=3)),
    },
    "threads": lambda sandbox: {
        "base_url": sandbox.url("threads"),
        "access_token": "th-token-4e2a9c:nightshiftfilm",
        "token_expires_at": _in(timedelta(days=5)),
    },
    "bluesky": lambda sandbox: {  # no session yet: the first publish opens one
        "base_url": sandbox.url("bluesky"),
        "identifier": "crew.bsky.social",
        "app_password": "abcd-efgh-ijkl-mnop",
    },
}


@pytest.fixture
def built() -> Iterator[list[Adapter]]:
    made: list[Adapter] = []
    yield made
    for adapter in made:
        adapter.close()


def _secret(adapter: Adapter, name: str) -> str | None:
    value = getattr(adapter.settings, name)
    return value.get_secret_value() if isinstance(value, SecretStr) else None


@pytest.mark.parametrize("platform", sorted(ACCOUNTS))
def test_the_second_adapter_of_an_account_adopts_the_first_ones_refresh(
    sandbox: SandboxControl, built: list[Adapter], platform: str
) -> None:
    raw = ACCOUNTS[platform](sandbox)
    keeper = DictKeeper(raw)
    first, second = (build_adapter(platform, raw) for _ in range(2))
    built += [first, second]
    for adapter in (first, second):
        adapter.keep_credentials_with(keeper)
    token = "access_jwt" if platform == "bluesky" else "access_token"
    now = datetime.now(UTC)

    first.prepare(now)
    second.prepare(now)

    assert len(keeper.saved) == 1  # one refresh, stored before the lock was let go
    assert _secret(second, token) == _secret(first, token) != raw.get(token)
    assert first.take_changes() == second.take_changes() == {}  # the keeper stored them


def test_an_x_adapter_refused_with_its_old_token_adopts_the_stored_one_and_posts(
    sandbox: SandboxControl, built: list[Adapter]
) -> None:
    """The 401 path: another worker refreshed (X may revoke the old access token); ours finds
    the new tokens stored, posts with them, and spends no refresh token."""
    raw = {**ACCOUNTS["x"](sandbox), "token_expires_at": _in(timedelta(hours=1))}
    keeper = DictKeeper(raw)
    first, second = (build_adapter("x", raw) for _ in range(2))
    built += [first, second]
    for adapter in (first, second):
        adapter.keep_credentials_with(keeper)
    first.api.refresh()  # another worker refreshed
    sandbox.revoke(raw["access_token"])

    second.publish(
        PublishRequest(idempotency_key="callsheet-1-ab", text="Call time 6am.", account_handle="x")
    )

    assert len(sandbox.posts("x")) == 1
    assert len(sandbox.records("x", kind="token")) == 1
    assert _secret(second, "refresh_token") == _secret(first, "refresh_token")
