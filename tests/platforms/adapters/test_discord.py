"""Discord adapter against the sandbox over real HTTP: the request, the answer, every error."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from platforms.adapters.base import AuthExpired, Media, PublishRequest, RateLimited, Unknown
from platforms.adapters.discord import DiscordAdapter
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl

TOKEN = "webhook-token-abcdef123456"


Build = Callable[..., DiscordAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for a webhook on the sandbox, closed after the test."""
    made: list[DiscordAdapter] = []

    def build(**settings: object) -> DiscordAdapter:
        url = f"{sandbox.url('discord')}/api/webhooks/4242/{TOKEN}"
        built = build_adapter("discord", {"webhook_url": url, **settings})
        assert isinstance(built, DiscordAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def _request(text: str = "Night 12: the rain machine wins again") -> PublishRequest:
    still = Media(url="https://cdn.test/rain.jpg", alt="The crew under umbrellas")
    return PublishRequest(
        idempotency_key="callsheet-7-abc", text=text, account_handle="#crew", media=[still]
    )


def test_publish_posts_the_content_and_records_the_message_id(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request())

    [post] = sandbox.posts("discord")
    assert post["id"] == result.external_id
    assert post["body"]["content"] == "Night 12: the rain machine wins again"
    assert post["body"]["embeds"] == [{"image": {"url": "https://cdn.test/rain.jpg"}}]
    assert post["body"]["allowed_mentions"] == {"parse": []}  # no @everyone from post text


def test_rate_limit_waits_as_long_as_discord_says(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("discord", "rate_limit", retry_after=7)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert caught.value.retry_after == 7
    assert sandbox.posts("discord") == []


def test_a_revoked_webhook_needs_reconnecting_and_its_token_is_never_shown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(TOKEN)
    with pytest.raises(AuthExpired) as caught:
        adapter().publish(_request())
    assert TOKEN not in caught.value.message


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create"])
def test_a_lost_answer_is_unknown(sandbox: SandboxControl, adapter: Build, kind: str) -> None:
    sandbox.fault("discord", kind)
    with pytest.raises(Unknown):
        adapter().publish(_request())


def test_created_then_dropped_leaves_the_post_on_the_platform(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """Why Unknown is never retried blindly: the post is already there."""
    sandbox.fault("discord", "drop_after_create")
    with pytest.raises(Unknown):
        adapter().publish(_request())
    assert len(sandbox.posts("discord")) == 1


def test_slow_answers_beyond_the_timeout_are_unknown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("discord", "slow", delay=2)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.5).publish(_request())


def test_a_url_that_is_not_a_discord_webhook_is_refused() -> None:
    with pytest.raises(ValueError, match="webhook_url"):
        build_adapter("discord", {"webhook_url": "https://example.com/hook"})
