"""Facebook Page adapter against the sandbox over real HTTP: flows, errors, lookup, token upkeep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from platforms.adapters import meta
from platforms.adapters.base import (
    AuthExpired,
    Media,
    NoProgress,
    Permanent,
    PublishRequest,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.facebook import FacebookAdapter
from platforms.adapters.meta import THROTTLE_WAIT
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl

PAGE = "1049981"
TOKEN = "page-token-5f1d2c9a7b"
APP_SECRET = "app-secret-0a9b8c7d6e"

Build = Callable[..., FacebookAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    made: list[FacebookAdapter] = []

    def build(**settings: Any) -> FacebookAdapter:
        raw = {"page_id": PAGE, "access_token": TOKEN, "base_url": sandbox.url("facebook")}
        built = build_adapter("facebook", {**raw, **settings})
        assert isinstance(built, FacebookAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def _request(
    text: str = "Day 14: the crane shot finally works. Stills at https://example.com/day14",
    media: list[Media] | None = None,
    progress: NoProgress | None = None,
    key: str = "callsheet-11-abc",
) -> PublishRequest:
    return PublishRequest(
        idempotency_key=key,
        text=text,
        account_handle="Night Shift (film)",
        media=media or [],
        progress=progress or NoProgress(),
    )


STILL = Media(url="https://cdn.test/crane.jpg", alt="The crane against a dawn sky")
STILL_2 = Media(url="https://cdn.test/grips.jpg", alt="Grips resting on apple boxes")
REEL = Media(url="https://cdn.test/crane.mp4", kind="video")


def test_a_text_post_goes_to_the_feed_with_its_link_and_the_token_in_a_header(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request())

    [post] = sandbox.posts("facebook", account=PAGE)
    assert result.external_id == post["id"]
    assert result.external_id.startswith(f"{PAGE}_")
    assert result.url == post["url"]
    assert post["body"]["message"].startswith("Day 14: the crane shot")
    assert post["body"]["link"] == "https://example.com/day14"
    assert post["state"]["token_in"] == "header"  # never in a URL, where logs keep it


def test_one_photo_carries_its_caption_and_alt_text(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request(media=[STILL]))

    [post] = sandbox.posts("facebook")
    assert result.external_id == post["id"]
    assert post["body"]["photo"] == {
        "url": STILL.url,
        "caption": post["body"]["message"],
        "alt_text_custom": "The crane against a dawn sky",
    }


def test_several_photos_are_uploaded_unpublished_then_posted_once(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    adapter().publish(_request(media=[STILL, STILL_2], progress=progress))

    photos = sandbox.records("facebook", kind="photo")
    assert [p["body"]["url"] for p in photos] == [STILL.url, STILL_2.url]
    [post] = sandbox.posts("facebook")
    assert post["body"]["attached_media"] == [p["id"] for p in photos]
    assert progress.state["photos"] == [p["id"] for p in photos]


def test_a_retry_reuses_the_photos_already_uploaded(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("facebook", "rate_limit", path="/feed", retry_after=60)
    with pytest.raises(RateLimited):
        adapter().publish(_request(media=[STILL, STILL_2], progress=progress))
    assert len(sandbox.records("facebook", kind="photo")) == 2
    assert sandbox.posts("facebook") == []

    adapter().publish(_request(media=[STILL, STILL_2], progress=progress))
    assert len(sandbox.records("facebook", kind="photo")) == 2
    assert len(sandbox.posts("facebook")) == 1


def test_steps_saved_for_other_content_are_not_reused(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """A changed (re-approved) text has a new key: old uploads and ids must not be published."""
    progress = NoProgress()
    adapter().publish(_request(text="first cut", progress=progress, key="callsheet-11-old"))
    result = adapter().publish(
        _request(text="second cut", progress=progress, key="callsheet-11-new")
    )

    first, second = sandbox.posts("facebook")
    assert result.external_id == second["id"] != first["id"]
    assert second["body"]["message"] == "second cut"


def test_a_video_goes_to_the_videos_edge_with_its_description(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request(text="Crane rehearsal", media=[REEL]))

    [video] = sandbox.records("facebook", kind="video")
    assert result.external_id == video["id"]
    assert video["body"] == {"file_url": REEL.url, "description": "Crane rehearsal"}


def test_a_video_with_photos_is_refused_before_anything_is_sent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    with pytest.raises(Permanent, match="one video"):
        adapter().publish(_request(media=[STILL, REEL]))
    for kind in ("post", "photo", "video"):
        assert sandbox.records("facebook", kind=kind) == []


def test_text_over_the_limit_is_permanent_and_validate_says_why(
    sandbox: SandboxControl, adapter: Build
) -> None:
    built = adapter()
    text = "x" * 63_207
    assert built.validate(text)
    with pytest.raises(Permanent, match="63,206"):
        built.publish(_request(text=text))
    assert sandbox.posts("facebook") == []


def test_a_throttled_page_waits_as_long_as_meta_says(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("facebook", "rate_limit", retry_after=120)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert caught.value.retry_after == 120  # estimated_time_to_regain_access: 2 minutes
    assert "code 32" in caught.value.message
    assert sandbox.posts("facebook") == []


def test_a_throttle_without_a_time_waits_the_default(adapter: Build) -> None:
    built = adapter()
    answer = httpx.Response(400, json={"error": {"message": "(#4) limit", "code": 4}})
    with pytest.raises(RateLimited) as caught:
        built.graph.check(answer, creates=True)
    assert caught.value.retry_after == THROTTLE_WAIT


@pytest.mark.parametrize("how", ["fault", "revoked"])
def test_a_dead_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, how: str
) -> None:
    if how == "fault":
        sandbox.fault("facebook", "unauthorized")
    else:
        sandbox.revoke(TOKEN)
    with pytest.raises(AuthExpired) as caught:
        adapter(app_id="778", app_secret=APP_SECRET).publish(_request())
    assert "code 190" in caught.value.message
    assert TOKEN not in caught.value.message
    assert APP_SECRET not in caught.value.message


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create"])
def test_a_lost_answer_to_a_create_is_unknown(
    sandbox: SandboxControl, adapter: Build, kind: str
) -> None:
    sandbox.fault("facebook", kind)
    with pytest.raises(Unknown):
        adapter().publish(_request())


def test_slow_answers_beyond_the_timeout_are_unknown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("facebook", "slow", delay=0.6)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.2).publish(_request())


def test_lookup_finds_the_post_after_a_dropped_create(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("facebook", "drop_after_create")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))
    [post] = sandbox.posts("facebook")
    assert "first_sent_at" in progress.state

    found = adapter().lookup(_request(progress=progress))

    assert found is not None
    assert found.external_id == post["id"]
    assert found.url == post["url"]
    assert adapter().publish(_request(progress=progress)).external_id == post["id"]
    assert len(sandbox.posts("facebook")) == 1


def test_lookup_finds_a_video_by_its_description(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("facebook", "drop_after_create")
    with pytest.raises(Unknown):
        adapter().publish(_request(text="Crane rehearsal", media=[REEL]))

    found = adapter().lookup(_request(text="Crane rehearsal", media=[REEL]))
    assert found is not None


def test_lookup_is_none_when_the_post_is_absent(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(_request(text="Another day, another call sheet"))
    assert adapter().lookup(_request()) is None


def test_lookup_reads_past_the_first_page(sandbox: SandboxControl, adapter: Build) -> None:
    built = adapter()
    built.publish(_request(text="The one we are looking for"))
    with httpx.Client(base_url=sandbox.url("facebook")) as client:
        for number in range(100):
            client.post(
                f"/{PAGE}/feed",
                data={"message": f"filler {number}"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ).raise_for_status()

    assert built.lookup(_request(text="The one we are looking for")) is not None


def test_lookup_refuses_to_judge_a_window_it_cannot_read_to_the_end(
    adapter: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meta, "PAGE_SIZE", 2)
    monkeypatch.setattr(meta, "MAX_PAGES", 1)
    built = adapter()
    for number in range(3):
        built.publish(_request(text=f"Post {number}", key=f"k{number}"))
    with pytest.raises(Permanent, match="cannot tell"):
        built.lookup(_request())


def test_a_failed_lookup_is_transient(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("facebook", "server_error")
    with pytest.raises(Transient):
        adapter().lookup(_request())


def test_a_captionless_photo_cannot_be_matched(adapter: Build) -> None:
    with pytest.raises(Permanent, match="without text"):
        adapter().lookup(_request(text="", media=[STILL]))


def test_a_token_near_expiry_is_extended_and_kept(sandbox: SandboxControl, adapter: Build) -> None:
    now = datetime.now(UTC)
    built = adapter(app_id="778", app_secret=APP_SECRET, token_expires_at=now + timedelta(days=3))

    built.prepare(now)

    changes = built.take_changes()
    fresh = changes["access_token"]
    assert isinstance(fresh, SecretStr)
    assert fresh.get_secret_value() not in (TOKEN, "")
    assert changes["token_expires_at"] > now + timedelta(days=59)
    sandbox.revoke(TOKEN)  # the old token is gone; the new one works
    built.publish(_request())
    assert len(sandbox.posts("facebook")) == 1


def test_a_token_far_from_expiry_is_left_alone(adapter: Build) -> None:
    now = datetime.now(UTC)
    built = adapter(app_id="778", app_secret=APP_SECRET, token_expires_at=now + timedelta(days=30))
    built.prepare(now)
    assert built.take_changes() == {}


def test_a_refused_extension_needs_reconnecting(sandbox: SandboxControl, adapter: Build) -> None:
    now = datetime.now(UTC)
    sandbox.revoke(TOKEN)
    built = adapter(app_id="778", app_secret=APP_SECRET, token_expires_at=now + timedelta(days=1))
    with pytest.raises(AuthExpired) as caught:
        built.prepare(now)
    assert APP_SECRET not in caught.value.message
    assert TOKEN not in caught.value.message


def test_an_expired_token_or_one_that_cannot_be_extended_needs_reconnecting(
    adapter: Build,
) -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthExpired, match="expired"):
        adapter(app_id="778", app_secret=APP_SECRET, token_expires_at=now).prepare(now)
    with pytest.raises(AuthExpired, match="app's credentials"):
        adapter(token_expires_at=now + timedelta(minutes=2)).prepare(now)
    quiet = adapter(token_expires_at=now + timedelta(days=2))
    quiet.prepare(now)  # nothing to extend with, but still valid: publish and warn later
    assert quiet.take_changes() == {}


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="page_id"):
        build_adapter("facebook", {"page_id": "my-page", "access_token": TOKEN})
