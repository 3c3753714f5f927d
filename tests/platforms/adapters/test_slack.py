"""Slack adapter against the sandbox over real HTTP: the message, its blocks, every refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import ValidationError

from platforms.adapters.base import (
    AuthExpired,
    Media,
    Permanent,
    PublishRequest,
    RateLimited,
    Unknown,
)
from platforms.adapters.registry import build_adapter
from platforms.adapters.slack import SECTION_TEXT_LIMIT, SlackAdapter
from sandbox.control import SandboxControl

SECRET = "XyZsecretWebhookPart1234"

Build = Callable[..., SlackAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for a webhook on the sandbox (``team`` picks a rehearsed refusal), closed after."""
    made: list[SlackAdapter] = []

    def build(team: str = "T0CREW", **settings: object) -> SlackAdapter:
        url = f"{sandbox.url('slack')}/services/{team}/B0BTS/{SECRET}"
        built = build_adapter("slack", {"webhook_url": url, **settings})
        assert isinstance(built, SlackAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def _request(text: str = "Night 12: the rain machine wins again", *media: Media) -> PublishRequest:
    return PublishRequest(
        idempotency_key="callsheet-7-abc", text=text, account_handle="#crew", media=media
    )


def test_a_text_post_is_one_message_named_by_the_idempotency_key(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request())

    assert result.external_id == "callsheet-7-abc"
    [post] = sandbox.posts("slack")
    assert post["account"] == "T0CREW/B0BTS"
    assert post["body"] == {"text": "Night 12: the rain machine wins again"}


def test_mrkdwn_is_escaped_so_a_post_cannot_ping_the_channel(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request("<!channel> R&D wrap party <@U123> at 8 > 7"))

    [post] = sandbox.posts("slack")
    assert post["body"]["text"] == "&lt;!channel&gt; R&amp;D wrap party &lt;@U123&gt; at 8 &gt; 7"


def test_images_become_image_blocks_after_the_text_with_alt_text_always_set(
    sandbox: SandboxControl, adapter: Build
) -> None:
    described = Media(url="https://cdn.test/rain.jpg", alt="The crew under umbrellas")
    undescribed = Media(url="https://cdn.test/set.jpg")
    adapter().publish(_request("Rain & more rain", described, undescribed))

    [post] = sandbox.posts("slack")
    assert post["body"]["text"] == "Rain &amp; more rain"  # the notification fallback
    assert post["body"]["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Rain &amp; more rain"}},
        {
            "type": "image",
            "image_url": "https://cdn.test/rain.jpg",
            "alt_text": "The crew under umbrellas",
        },
        {
            "type": "image",
            "image_url": "https://cdn.test/set.jpg",
            "alt_text": "Image 2 of 2 shared with this post",
        },
    ]


def test_long_text_with_an_image_is_cut_into_sections_slack_accepts(
    sandbox: SandboxControl, adapter: Build
) -> None:
    text = " ".join(["Take seven of the rooftop scene, then lunch."] * 150)
    adapter().publish(_request(text, Media(url="https://cdn.test/roof.jpg", alt="Rooftop")))

    [post] = sandbox.posts("slack")
    sections = [b["text"]["text"] for b in post["body"]["blocks"] if b["type"] == "section"]
    assert len(sections) > 1
    assert all(len(part) <= SECTION_TEXT_LIMIT for part in sections)
    assert " ".join(sections) == text


def test_videos_are_linked_for_slack_to_unfurl(sandbox: SandboxControl, adapter: Build) -> None:
    teaser = Media(url="https://cdn.test/teaser.mp4?a=1&b=2", kind="video", alt="Teaser")
    adapter().publish(_request("Teaser is out", teaser))

    [post] = sandbox.posts("slack")
    assert post["body"] == {"text": "Teaser is out\n<https://cdn.test/teaser.mp4?a=1&amp;b=2>"}


def test_a_local_file_is_refused_before_anything_is_sent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    with pytest.raises(Permanent, match="public URL"):
        adapter().publish(_request("Stills", Media(url="/srv/stills/day3.jpg")))
    assert sandbox.posts("slack") == []


def test_rate_limit_waits_as_long_as_slack_says(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("slack", "rate_limit", retry_after=7)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert caught.value.retry_after == 7
    assert sandbox.posts("slack") == []


@pytest.mark.parametrize("how", ["revoked", "invalid_token", "no_service"])
def test_a_dead_webhook_needs_reconnecting_and_its_secret_is_never_shown(
    sandbox: SandboxControl, adapter: Build, how: str
) -> None:
    if how == "revoked":
        sandbox.revoke(SECRET)
        built = adapter()
    elif how == "invalid_token":
        sandbox.fault("slack", "unauthorized")
        built = adapter()
    else:
        built = adapter(team="no_service")
    with pytest.raises(AuthExpired) as caught:
        built.publish(_request())
    assert SECRET not in caught.value.message
    assert "127.0.0.1" not in caught.value.message


@pytest.mark.parametrize(
    ("word", "status"),
    [("channel_is_archived", 410), ("channel_not_found", 404), ("action_prohibited", 403)],
)
def test_refusals_are_permanent_and_quote_slacks_word(
    adapter: Build, word: str, status: int
) -> None:
    with pytest.raises(Permanent) as caught:
        adapter(team=word).publish(_request())
    assert word in caught.value.message
    assert f"HTTP {status}" in caught.value.message
    assert SECRET not in caught.value.message


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create"])
def test_a_lost_answer_is_unknown(sandbox: SandboxControl, adapter: Build, kind: str) -> None:
    sandbox.fault("slack", kind)
    with pytest.raises(Unknown) as caught:
        adapter().publish(_request())
    assert SECRET not in caught.value.message


def test_created_then_dropped_leaves_the_message_in_the_channel(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """Why Unknown is never retried blindly: the message is already there."""
    sandbox.fault("slack", "drop_after_create")
    with pytest.raises(Unknown):
        adapter().publish(_request())
    assert len(sandbox.posts("slack")) == 1


def test_slow_answers_beyond_the_timeout_are_unknown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("slack", "slow", delay=1)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.3).publish(_request())


def test_slack_cannot_look_a_message_up() -> None:
    assert SlackAdapter.can_lookup is False
    assert SlackAdapter.idempotent is False


def test_a_url_that_is_not_an_incoming_webhook_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        build_adapter("slack", {"webhook_url": f"https://example.com/hook/{SECRET}"})
    assert "webhook_url" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_validate_reports_the_text_rules_problems(adapter: Build) -> None:
    assert adapter().validate("Wrap party tonight") == []
    problems = adapter().validate("   ")
    assert problems == ["There is no text; Slack needs some."]


def test_text_goes_out_in_nfc_and_too_long_text_is_refused_before_sending(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request("Cafe\u0301 scene wrapped"))
    [post] = sandbox.posts("slack")
    assert post["body"]["text"] == "Caf\u00e9 scene wrapped"

    with pytest.raises(Permanent, match="40,000"):
        adapter().publish(_request("x" * 40_001))
    assert len(sandbox.posts("slack")) == 1
