"""Threads adapter against the sandbox over real HTTP: containers, reply chains, resume, lookup."""

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
from platforms.adapters.meta import QUOTA_WAIT, THROTTLE_WAIT
from platforms.adapters.registry import build_adapter
from platforms.adapters.threads import ThreadsAdapter
from sandbox.control import SandboxControl

ACCOUNT = "nightshiftfilm"
TOKEN = f"th-token-4e2a9c:{ACCOUNT}"  # the sandbox names the account after the colon

Build = Callable[..., ThreadsAdapter]

SHORT = "Wrap on the bridge scene. The rain tower has earned a day off."
LONG = " ".join(
    f"Sentence {n} about the night shoot on the bridge with the rain tower." for n in range(12)
)
STILL = Media(url="https://cdn.test/bridge.jpg", alt="The bridge lit from below, wet asphalt")
STILL_2 = Media(url="https://cdn.test/tower.jpg", alt="The rain tower against a black sky")
CLIP = Media(url="https://cdn.test/bridge.mp4", kind="video", alt="Rain falling past a lamp")


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    made: list[ThreadsAdapter] = []

    def build(**settings: Any) -> ThreadsAdapter:
        raw = {
            "access_token": TOKEN,
            "base_url": sandbox.url("threads"),
            "poll_interval_seconds": 0.01,
        }
        built = build_adapter("threads", {**raw, **settings})
        assert isinstance(built, ThreadsAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def _request(
    text: str = SHORT, media: list[Media] | None = None, progress: NoProgress | None = None
) -> PublishRequest:
    return PublishRequest(
        idempotency_key="callsheet-31-abc",
        text=text,
        account_handle=f"@{ACCOUNT}",
        media=media or [],
        progress=progress or NoProgress(),
    )


def _posts(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.posts("threads", account=ACCOUNT)


def _containers(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.records("threads", kind="container")


def _control(sandbox: SandboxControl, path: str, body: dict[str, Any]) -> None:
    with httpx.Client() as client:
        client.post(f"{sandbox.url('threads')}/_sandbox/{path}", json=body).raise_for_status()


# --- flows -----------------------------------------------------------------------------------


def test_a_short_text_is_one_text_container_then_a_publish(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request())

    [container] = _containers(sandbox)
    assert container["body"]["media_type"] == "TEXT"
    assert container["body"]["text"] == SHORT
    [post] = _posts(sandbox)
    assert post["body"]["creation_id"] == container["id"]
    assert post["state"]["token_in"] == "header"
    assert (result.external_id, result.url) == (post["id"], post["url"])


def test_a_long_text_is_a_numbered_chain_of_replies(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(LONG, media=[STILL], progress=progress))

    first, second = _posts(sandbox)
    assert result.external_id == first["id"]
    assert first["body"]["text"].endswith("1/2")
    assert first["body"]["media"] == [
        {"media_type": "IMAGE", "url": STILL.url, "alt_text": STILL.alt}
    ]
    assert first["body"]["reply_to_id"] is None
    assert second["body"]["text"].endswith("2/2")
    assert second["body"]["media_type"] == "TEXT"  # the media go with the first part only
    assert second["body"]["reply_to_id"] == first["id"]
    assert progress.state["parts"] == [first["id"], second["id"]]


def test_a_video_is_polled_until_finished_and_carries_alt_text(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request(media=[CLIP]))
    [post] = _posts(sandbox)
    assert post["body"]["media"] == [{"media_type": "VIDEO", "url": CLIP.url, "alt_text": CLIP.alt}]


def test_several_media_make_a_carousel(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(_request(media=[STILL, STILL_2]))

    *children, carousel = _containers(sandbox)
    assert [c["body"]["is_carousel_item"] for c in children] == [True, True]
    assert carousel["body"]["media_type"] == "CAROUSEL"
    assert carousel["body"]["children"] == [c["id"] for c in children]
    [post] = _posts(sandbox)
    assert [m["url"] for m in post["body"]["media"]] == [STILL.url, STILL_2.url]


def test_nothing_to_post_is_refused_before_anything_is_made(
    sandbox: SandboxControl, adapter: Build
) -> None:
    with pytest.raises(Permanent, match="nothing to post"):
        adapter().publish(_request(text="  "))
    assert _containers(sandbox) == []


def test_validate_warns_nothing_for_a_long_text_that_threads(adapter: Build) -> None:
    assert adapter().validate(LONG) == []


# --- quota and errors ------------------------------------------------------------------------


def test_a_thread_that_would_not_fit_the_reply_quota_waits_whole(
    sandbox: SandboxControl, adapter: Build
) -> None:
    _control(sandbox, f"quota/{ACCOUNT}", {"replies": 1000})
    with pytest.raises(RateLimited) as caught:
        adapter(user_id="me").publish(_request(LONG))
    assert caught.value.retry_after == QUOTA_WAIT
    assert _containers(sandbox) == []
    adapter().publish(_request(SHORT))  # a single post needs no reply quota
    assert len(_posts(sandbox)) == 1


def test_the_post_quota_wait_ends_when_the_oldest_post_leaves_the_window(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request())
    _control(sandbox, f"quota/{ACCOUNT}", {"used": 249})
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request("another"))
    assert 86_000 < caught.value.retry_after <= 86_400


def test_a_throttle_without_a_time_waits_the_default(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("threads", "rate_limit")
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert caught.value.retry_after == THROTTLE_WAIT
    assert "code 613" in caught.value.message


@pytest.mark.parametrize("how", ["fault", "revoked"])
def test_a_dead_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, how: str
) -> None:
    if how == "fault":
        sandbox.fault("threads", "unauthorized")
    else:
        sandbox.revoke(TOKEN)
    with pytest.raises(AuthExpired) as caught:
        adapter().publish(_request())
    assert TOKEN not in caught.value.message


def test_a_lost_answer_while_making_a_container_is_only_transient(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("threads", "server_error", path="/me/threads", method="POST")
    with pytest.raises(Transient):
        adapter().publish(_request())


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create", "slow"])
def test_a_lost_answer_to_a_publish_is_unknown(
    sandbox: SandboxControl, adapter: Build, kind: str
) -> None:
    sandbox.fault("threads", kind, path="/threads_publish", method="POST", delay=1)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.3).publish(_request())


# --- resuming --------------------------------------------------------------------------------


def test_a_thread_cut_short_continues_after_the_last_part_out(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("threads", "rate_limit", path="/threads_publish", method="POST", times=1)
    with pytest.raises(RateLimited):
        adapter().publish(_request(LONG, progress=progress))
    assert _posts(sandbox) == []
    first_container = progress.state["container"]

    adapter().publish(_request(LONG, progress=progress))  # part 1 from its saved container
    first, second = _posts(sandbox)
    assert first["body"]["creation_id"] == first_container
    assert second["body"]["reply_to_id"] == first["id"]


def test_a_part_whose_publish_answer_was_lost_is_not_posted_again(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("threads", "drop_after_create", path="/threads_publish", method="POST")
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG, progress=progress))
    assert len(_posts(sandbox)) == 1

    adapter().publish(_request(LONG, progress=progress))

    first, second = _posts(sandbox)
    assert second["body"]["reply_to_id"] == first["id"]
    assert progress.state["parts"] == [first["id"], second["id"]]


def test_a_failed_container_is_permanent_and_forgotten(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    with pytest.raises(Transient, match="still processing"):
        adapter(max_polls=1).publish(_request(media=[CLIP], progress=progress))
    _control(sandbox, f"containers/{progress.state['container']}", {"status": "ERROR"})

    with pytest.raises(Permanent, match="FAILED_DOWNLOADING_VIDEO"):
        adapter().publish(_request(media=[CLIP], progress=progress))
    assert progress.state["container"] is None


# --- lookup ----------------------------------------------------------------------------------


def test_lookup_finds_a_whole_thread(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("threads", "drop_after_create", path="/threads_publish", method="POST", times=2)
    progress = NoProgress()
    for _ in range(2):  # part 1 out, answer lost; the retry resumes, part 2 out, answer lost
        with pytest.raises(Unknown):
            adapter().publish(_request(LONG, progress=progress))
    first, _second = _posts(sandbox)

    found = adapter().lookup(_request(LONG))  # without any progress, both parts are found

    assert found is not None
    assert found.external_id == first["id"]


def test_lookup_of_a_thread_out_in_part_saves_the_parts_and_says_absent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("threads", "drop_after_create", path="/threads_publish", method="POST")
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG))  # part 1 out, answer lost, progress not kept
    [first] = _posts(sandbox)

    progress = NoProgress()
    assert adapter().lookup(_request(LONG, progress=progress)) is None
    assert progress.state["parts"] == [first["id"]]

    adapter().publish(_request(LONG, progress=progress))
    posts = _posts(sandbox)
    assert len(posts) == 2
    assert posts[1]["body"]["reply_to_id"] == first["id"]


def test_a_container_never_published_proves_the_part_absent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    with pytest.raises(Transient):
        adapter(max_polls=1).publish(_request(media=[CLIP], progress=progress))
    sandbox.fault("threads", "server_error", path="/me/threads", method="GET")

    assert adapter().lookup(_request(media=[CLIP], progress=progress)) is None


def test_lookup_does_not_take_another_accounts_reply_or_another_parent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(_request(SHORT))
    assert adapter().lookup(_request(LONG)) is None


def test_lookup_without_text_cannot_judge(adapter: Build) -> None:
    with pytest.raises(Permanent, match="without text"):
        adapter().lookup(_request(text="", media=[STILL]))


# --- token -----------------------------------------------------------------------------------


def test_a_token_near_expiry_is_refreshed_without_app_credentials(
    sandbox: SandboxControl, adapter: Build
) -> None:
    now = datetime.now(UTC)
    built = adapter(token_expires_at=now + timedelta(days=5))
    built.prepare(now)
    changes = built.take_changes()
    assert isinstance(changes["access_token"], SecretStr)
    assert changes["token_expires_at"] > now + timedelta(days=59)


def test_a_refused_refresh_needs_reconnecting(sandbox: SandboxControl, adapter: Build) -> None:
    now = datetime.now(UTC)
    sandbox.revoke(TOKEN)
    with pytest.raises(AuthExpired) as caught:
        adapter(token_expires_at=now + timedelta(days=5)).prepare(now)
    assert TOKEN not in caught.value.message


def test_a_transient_refresh_failure_with_days_left_is_only_a_warning(
    sandbox: SandboxControl, adapter: Build
) -> None:
    now = datetime.now(UTC)
    sandbox.fault("threads", "server_error", path="/refresh_access_token")
    built = adapter(token_expires_at=now + timedelta(days=5))
    built.prepare(now)
    assert built.take_changes() == {}
