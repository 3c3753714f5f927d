"""Instagram adapter against the sandbox over real HTTP: containers, quota, resume, lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

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
from platforms.adapters.instagram import InstagramAdapter
from platforms.adapters.meta import QUOTA_WAIT
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl

IG_USER = "17841400008460056"
TOKEN = "ig-token-7c1e5a9d3b"
APP_SECRET = "app-secret-1b2c3d4e5f"

Build = Callable[..., InstagramAdapter]

STILL = Media(url="https://cdn.test/slate.jpg", alt="A clapperboard reading scene 42, take 3")
STILL_2 = Media(url="https://cdn.test/dolly.jpg", alt="The dolly track laid across a wet street")
CLIP = Media(url="https://cdn.test/stunt.mp4", kind="video")


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    made: list[InstagramAdapter] = []

    def build(**settings: Any) -> InstagramAdapter:
        raw = {
            "ig_user_id": IG_USER,
            "access_token": TOKEN,
            "base_url": sandbox.url("instagram"),
            "poll_interval_seconds": 0.01,
        }
        built = build_adapter("instagram", {**raw, **settings})
        assert isinstance(built, InstagramAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def _request(
    media: list[Media] | None = None,
    progress: NoProgress | None = None,
    text: str = "Scene 42, take 3: the rain tower gets its close-up #BehindTheScenes",
) -> PublishRequest:
    return PublishRequest(
        idempotency_key="callsheet-21-abc",
        text=text,
        account_handle="@nightshiftfilm",
        media=[STILL] if media is None else media,
        progress=progress or NoProgress(),
    )


def _set_container(sandbox: SandboxControl, container: str, status: str) -> None:
    with httpx.Client() as client:
        client.post(
            f"{sandbox.url('instagram')}/_sandbox/containers/{container}",
            json={"status_code": status},
        ).raise_for_status()


def _spend_quota(sandbox: SandboxControl, used: int) -> None:
    with httpx.Client() as client:
        client.post(
            f"{sandbox.url('instagram')}/_sandbox/quota/{IG_USER}", json={"used": used}
        ).raise_for_status()


def _containers(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.records("instagram", kind="container")


# --- flows -----------------------------------------------------------------------------------


def test_an_image_post_is_a_container_with_alt_text_then_a_publish(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(progress=progress))

    [container] = _containers(sandbox)
    assert container["body"]["image_url"] == STILL.url
    assert container["body"]["alt_text"] == STILL.alt
    assert container["body"]["caption"].endswith("#BehindTheScenes")
    assert container["state"]["status_code"] == "PUBLISHED"
    [post] = sandbox.posts("instagram", account=IG_USER)
    assert post["body"]["creation_id"] == container["id"]
    assert post["state"]["token_in"] == "header"
    assert result.external_id == post["id"]
    assert result.url == post["url"]
    assert progress.state["container"] == container["id"]
    assert progress.state["media_id"] == post["id"]


def test_a_video_is_a_reel_polled_until_finished(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(_request(media=[CLIP]))

    [container] = _containers(sandbox)
    assert container["body"]["media_type"] == "REELS"
    assert container["body"]["video_url"] == CLIP.url
    [post] = sandbox.posts("instagram")
    assert post["body"]["media"] == [{"video_url": CLIP.url}]


def test_several_media_make_a_carousel_of_children_in_order(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request(media=[STILL, CLIP, STILL_2]))

    *children, carousel = _containers(sandbox)
    assert [c["body"]["is_carousel_item"] for c in children] == [True, True, True]
    assert [c["body"]["media_type"] for c in children] == ["IMAGE", "VIDEO", "IMAGE"]
    assert children[0]["body"]["alt_text"] == STILL.alt
    assert carousel["body"]["media_type"] == "CAROUSEL"
    assert carousel["body"]["children"] == [c["id"] for c in children]
    assert carousel["body"]["caption"].startswith("Scene 42")
    [post] = sandbox.posts("instagram")
    assert [m.get("image_url") or m.get("video_url") for m in post["body"]["media"]] == [
        STILL.url,
        CLIP.url,
        STILL_2.url,
    ]


@pytest.mark.parametrize("media", [[], [STILL] * 11], ids=["none", "eleven"])
def test_media_instagram_cannot_take_are_refused_before_anything_is_made(
    sandbox: SandboxControl, adapter: Build, media: list[Media]
) -> None:
    with pytest.raises(Permanent):
        adapter().publish(_request(media=media))
    assert _containers(sandbox) == []


def test_validate_judges_the_caption_alone(adapter: Build) -> None:
    built = adapter()
    assert built.validate("A caption with no picture yet") == []
    tags = " ".join(f"#tag{n}" for n in range(31))
    assert any("hashtags" in problem for problem in built.validate(tags))


# --- quota and errors ------------------------------------------------------------------------


def test_a_spent_quota_is_rate_limited_before_any_container(
    sandbox: SandboxControl, adapter: Build
) -> None:
    _spend_quota(sandbox, 50)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert caught.value.retry_after == QUOTA_WAIT  # no post of ours in the window to date it
    assert _containers(sandbox) == []


def test_the_quota_wait_ends_when_the_oldest_post_leaves_the_window(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request())
    _spend_quota(sandbox, 49)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request(text="the next one"))
    assert 86_000 < caught.value.retry_after <= 86_400


def test_a_throttled_account_waits_as_long_as_meta_says(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("instagram", "rate_limit", retry_after=180)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert caught.value.retry_after == 180
    assert "code 80002" in caught.value.message


def test_the_daily_limit_and_not_ready_errors_mean_what_they_say(adapter: Build) -> None:
    graph = adapter().graph
    daily = {"error": {"message": "limit", "code": 9, "error_subcode": 2207042}}
    with pytest.raises(RateLimited):
        graph.check(httpx.Response(400, json=daily), creates=True)
    not_ready = {"error": {"message": "not ready", "code": 9007, "error_subcode": 2207027}}
    with pytest.raises(Transient):
        graph.check(httpx.Response(400, json=not_ready), creates=True)


@pytest.mark.parametrize("how", ["fault", "revoked"])
def test_a_dead_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, how: str
) -> None:
    if how == "fault":
        sandbox.fault("instagram", "unauthorized")
    else:
        sandbox.revoke(TOKEN)
    with pytest.raises(AuthExpired) as caught:
        adapter(app_id="778", app_secret=APP_SECRET).publish(_request())
    assert TOKEN not in caught.value.message
    assert APP_SECRET not in caught.value.message


def test_a_lost_answer_while_making_a_container_is_only_transient(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """A container is invisible: nothing can have been posted."""
    sandbox.fault("instagram", "server_error", path=f"/{IG_USER}/media", method="POST")
    with pytest.raises(Transient):
        adapter().publish(_request())
    assert sandbox.posts("instagram") == []


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create", "slow"])
def test_a_lost_answer_to_the_publish_is_unknown(
    sandbox: SandboxControl, adapter: Build, kind: str
) -> None:
    sandbox.fault("instagram", kind, path="/media_publish", delay=1)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.3).publish(_request())


# --- resuming --------------------------------------------------------------------------------


def test_a_video_still_processing_is_resumed_with_the_same_container(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    with pytest.raises(Transient, match="still processing"):
        adapter(max_polls=1).publish(_request(media=[CLIP], progress=progress))
    [container] = _containers(sandbox)
    assert progress.state["container"] == container["id"]

    adapter().publish(_request(media=[CLIP], progress=progress))

    assert len(_containers(sandbox)) == 1
    assert len(sandbox.posts("instagram")) == 1


def test_a_carousel_resumes_after_the_children_already_made(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    with pytest.raises(Transient):
        adapter(max_polls=1).publish(_request(media=[STILL, CLIP], progress=progress))
    assert len(progress.state["children"]) == 2

    adapter().publish(_request(media=[STILL, CLIP], progress=progress))

    assert len(_containers(sandbox)) == 3  # two children and one carousel, none made twice
    assert len(sandbox.posts("instagram")) == 1


@pytest.mark.parametrize(("status", "says"), [("ERROR", "download has failed"), ("EXPIRED", "24")])
def test_a_failed_or_expired_container_is_permanent_and_forgotten(
    sandbox: SandboxControl, adapter: Build, status: str, says: str
) -> None:
    progress = NoProgress()
    with pytest.raises(Transient):
        adapter(max_polls=1).publish(_request(media=[CLIP], progress=progress))
    _set_container(sandbox, progress.state["container"], status)

    with pytest.raises(Permanent, match=says):
        adapter().publish(_request(media=[CLIP], progress=progress))
    assert progress.state["container"] is None  # a person's retry starts afresh
    assert sandbox.posts("instagram") == []


def test_a_published_container_is_never_published_again(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("instagram", "drop_after_create", path="/media_publish")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))
    [post] = sandbox.posts("instagram")

    result = adapter().publish(_request(progress=progress))

    assert result.external_id == post["id"]
    assert len(sandbox.posts("instagram")) == 1


# --- lookup ----------------------------------------------------------------------------------


def test_lookup_finds_the_post_after_a_dropped_publish(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("instagram", "drop_after_create", path="/media_publish")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))
    [post] = sandbox.posts("instagram")

    found = adapter().lookup(_request(progress=progress))

    assert found is not None
    assert (found.external_id, found.url) == (post["id"], post["url"])
    assert progress.state["media_id"] == post["id"]


def test_lookup_finds_the_post_by_caption_without_progress(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("instagram", "drop_after_create", path="/media_publish")
    with pytest.raises(Unknown):
        adapter().publish(_request())
    assert adapter().lookup(_request()) is not None


def test_a_container_never_published_proves_the_post_absent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    with pytest.raises(Transient):
        adapter(max_polls=1).publish(_request(media=[CLIP], progress=progress))
    sandbox.fault("instagram", "server_error", path="/media", method="GET")  # no listing needed

    assert adapter().lookup(_request(media=[CLIP], progress=progress)) is None


def test_lookup_is_none_when_nothing_matches(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(_request(text="A different caption"))
    assert adapter().lookup(_request()) is None


def test_a_captionless_post_cannot_be_matched(adapter: Build) -> None:
    with pytest.raises(Permanent, match="without a caption"):
        adapter().lookup(_request(text=""))


# --- token -----------------------------------------------------------------------------------


def test_a_token_near_expiry_is_extended(sandbox: SandboxControl, adapter: Build) -> None:
    now = datetime.now(UTC)
    built = adapter(app_id="778", app_secret=APP_SECRET, token_expires_at=now + timedelta(days=2))
    built.prepare(now)
    changes = built.take_changes()
    assert isinstance(changes["access_token"], SecretStr)
    assert changes["token_expires_at"] > now + timedelta(days=59)
    sandbox.revoke(TOKEN)
    built.publish(_request())
    assert len(sandbox.posts("instagram")) == 1
