"""Mastodon adapter against the sandbox over real HTTP: statuses, threads, media, every error."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from platforms.adapters import mastodon_lookup
from platforms.adapters.base import (
    AuthExpired,
    Media,
    NoProgress,
    Permanent,
    PlatformError,
    PublishRequest,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.mastodon import MastodonAdapter
from platforms.adapters.registry import build_adapter
from platforms.text import RULES, shape
from sandbox.control import SandboxControl
from tests.media_links import link

TOKEN = "mastodon-token-0123456789abcdef:crew"
KEY = "callsheet-7-abcdef0123456789"
SHORT = "Night 12: the rain machine wins again. #BTS https://callsheet.test/night-12"
#: Well over Mastodon's default 500 characters, in sentences the splitter can cut between.
LONG = " ".join(f"Sentence {n} about the night shoot on the pier, in the rain." for n in range(20))

Build = Callable[..., MastodonAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for the account "crew" on the sandbox's Mastodon server, closed after the test."""
    made: list[MastodonAdapter] = []

    def build(client: httpx.Client | None = None, **settings: Any) -> MastodonAdapter:
        raw = {"base_url": sandbox.url("mastodon"), "access_token": TOKEN, **settings}
        built = build_adapter("mastodon", raw, client=client)
        assert isinstance(built, MastodonAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


@pytest.fixture
def still(tmp_path: Path) -> Media:
    path = tmp_path / "rain.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    return Media(url=link(path), alt="The crew under umbrellas on the pier")


@pytest.fixture
def clip(tmp_path: Path) -> Media:
    path = tmp_path / "rain.mp4"
    path.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    return Media(url=link(path), kind="video", alt="Thirty seconds of rain machine")


def _request(
    text: str = SHORT, *, media: list[Media] | None = None, progress: NoProgress | None = None
) -> PublishRequest:
    return PublishRequest(
        idempotency_key=KEY,
        text=text,
        account_handle="@crew@sandbox",
        media=media or [],
        progress=progress or NoProgress(),
    )


def _configure(sandbox: SandboxControl, max_characters: int) -> None:
    url = f"{sandbox.url('mastodon')}/_sandbox/instance"
    httpx.put(url, json={"max_characters": max_characters}).raise_for_status()


# --- the request flow ----------------------------------------------------------------------


def test_publish_posts_one_status_with_the_idempotency_key(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter(visibility="unlisted", language="en").publish(_request())

    [post] = sandbox.posts("mastodon")
    assert post["account"] == "crew"
    assert post["id"] == result.external_id
    assert result.url == post["url"]
    assert post["body"]["status"] == SHORT
    assert post["body"]["visibility"] == "unlisted"
    assert post["body"]["language"] == "en"
    assert post["body"]["in_reply_to_id"] is None
    assert post["idempotency_key"] == KEY
    assert post["state"]["authorization"] == f"Bearer {TOKEN}"


def test_a_repeat_with_the_same_key_makes_no_second_status(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """Why Mastodon is ``idempotent``: a retry with fresh progress still finds the first."""
    first = adapter().publish(_request())
    again = adapter().publish(_request())

    assert again.external_id == first.external_id
    assert len(sandbox.posts("mastodon")) == 1
    assert MastodonAdapter.idempotent


def test_long_text_goes_out_as_a_thread_of_replies(sandbox: SandboxControl, adapter: Build) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("mastodon")
    assert len(posts) > 1
    assert result.external_id == posts[0]["id"]
    assert posts[0]["body"]["in_reply_to_id"] is None
    for parent, reply in itertools.pairwise(posts):
        assert reply["body"]["in_reply_to_id"] == parent["id"]
    total = len(posts)
    for number, post in enumerate(posts, 1):
        assert post["body"]["status"].endswith(f" {number}/{total}")
        assert len(post["body"]["status"]) <= 500
    keys = [post["idempotency_key"] for post in posts]
    assert keys[0] == KEY
    assert keys[1:] == [f"{KEY}-part-{n}" for n in range(2, total + 1)]
    assert [s["id"] for s in progress.state["statuses"]] == [p["id"] for p in posts]


def test_the_servers_own_limit_is_read_once_and_used(
    sandbox: SandboxControl, adapter: Build
) -> None:
    _configure(sandbox, 5000)
    paths: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: paths.append(r.url.path)]}) as client:
        built = adapter(client=client)
        built.publish(_request(LONG))
        built.publish(PublishRequest(idempotency_key="other", text=LONG, account_handle="crew"))

    assert [p["body"]["status"] for p in sandbox.posts("mastodon")] == [LONG, LONG]
    assert paths.count("/mastodon/api/v2/instance") == 1


def test_a_resumed_thread_posts_only_the_missing_parts(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    _fail_after_first_part(sandbox)
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG, progress=progress))
    [first] = sandbox.posts("mastodon")
    assert progress.state["statuses"] == [{"id": first["id"], "url": first["url"]}]

    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("mastodon")
    assert len(posts) == len(shape(RULES["mastodon"], LONG))
    assert result.external_id == first["id"]
    assert posts[1]["body"]["in_reply_to_id"] == first["id"]


def _fail_after_first_part(sandbox: SandboxControl) -> None:
    """Part 1 goes through; part 2 meets a 503 (sandbox faults fire on the next request)."""
    sandbox.fault("mastodon", "slow", path="/api/v1/statuses", method="POST", delay=0)
    sandbox.fault("mastodon", "server_error", path="/api/v1/statuses", method="POST")


def test_images_are_uploaded_with_their_alt_text_and_attached(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    progress = NoProgress()
    adapter().publish(_request(media=[still], progress=progress))

    [upload] = sandbox.records("mastodon", kind="media")
    assert upload["body"]["description"] == "The crew under umbrellas on the pier"
    assert upload["body"]["content_type"] == "image/png"
    [post] = sandbox.posts("mastodon")
    assert post["body"]["media_ids"] == [upload["id"]]
    assert progress.state["media"] == {"0": upload["id"]}


def test_a_video_is_polled_until_processed_before_the_status(
    sandbox: SandboxControl, adapter: Build, clip: Media
) -> None:
    paths: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: paths.append(r.url.path)]}) as client:
        adapter(client=client, media_poll_seconds=0.01).publish(_request(media=[clip]))

    [upload] = sandbox.records("mastodon", kind="media")
    assert upload["body"]["type"] == "video"
    poll = f"/mastodon/api/v1/media/{upload['id']}"
    assert paths.count(poll) == 2  # 206 while processing, then 200
    assert paths.index("/mastodon/api/v1/statuses") > len(paths) - 1 - paths[::-1].index(poll)
    [post] = sandbox.posts("mastodon")
    assert post["body"]["media_ids"] == [upload["id"]]


def test_a_video_still_processing_after_the_wait_is_transient_and_kept(
    sandbox: SandboxControl, adapter: Build, clip: Media
) -> None:
    progress = NoProgress()
    # The first "still processing" answer comes after the wait is over, however fast this
    # machine is: the adapter must stop there, not poll again.
    sandbox.fault("mastodon", "slow", path="/api/v1/media/", method="GET", delay=0.3)
    built = adapter(media_poll_seconds=0.01, media_wait_seconds=0.1)
    with pytest.raises(Transient, match="still processing"):
        built.publish(_request(media=[clip], progress=progress))
    assert sandbox.posts("mastodon") == []

    adapter().publish(_request(media=[clip], progress=progress))

    assert len(sandbox.records("mastodon", kind="media")) == 1  # attached, not uploaded again
    [post] = sandbox.posts("mastodon")
    assert post["body"]["media_ids"] == [progress.state["media"]["0"]]


def test_media_already_uploaded_is_attached_not_uploaded_again(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    progress = NoProgress()
    sandbox.fault("mastodon", "server_error", path="/api/v1/statuses")  # 503 before creating
    with pytest.raises(Unknown):
        adapter().publish(_request(media=[still], progress=progress))

    adapter().publish(_request(media=[still], progress=progress))

    [upload] = sandbox.records("mastodon", kind="media")
    [post] = sandbox.posts("mastodon")
    assert post["body"]["media_ids"] == [upload["id"]]


def test_too_many_attachments_are_refused_before_uploading(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    with pytest.raises(Permanent, match="at most 4"):
        adapter().publish(_request(media=[still] * 5))
    assert sandbox.records("mastodon", kind="media") == []


def test_the_servers_refusal_is_permanent_with_its_words(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    path = tmp_path / "long-alt.png"
    path.write_bytes(b"\x89PNG")
    wordy = Media(url=link(path), alt="rain " * 400)
    with pytest.raises(Permanent, match="Description is too long"):
        adapter().publish(_request(media=[wordy]))
    assert sandbox.posts("mastodon") == []


def test_progress_from_an_earlier_text_is_not_mixed_with_the_new_one(adapter: Build) -> None:
    progress = NoProgress({"key": "callsheet-7-old", "statuses": [{"id": "1", "url": None}]})
    with pytest.raises(Permanent, match="earlier version"):
        adapter().publish(_request(progress=progress))


# --- errors --------------------------------------------------------------------------------


def test_rate_limit_waits_until_the_iso_reset(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("mastodon", "rate_limit", retry_after=90)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert 85 <= caught.value.retry_after <= 90
    assert sandbox.posts("mastodon") == []


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create"])
def test_a_lost_answer_to_a_create_is_unknown(
    sandbox: SandboxControl, adapter: Build, kind: str
) -> None:
    sandbox.fault("mastodon", kind, path="/api/v1/statuses")
    with pytest.raises(Unknown):
        adapter().publish(_request())


def test_a_failed_read_is_transient(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("mastodon", "server_error", path="/api/v2/instance")
    with pytest.raises(Transient):
        adapter().publish(_request())
    assert sandbox.posts("mastodon") == []


def test_slow_answers_beyond_the_timeout_are_unknown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    built = adapter(timeout_seconds=0.2)
    built.instance()
    sandbox.fault("mastodon", "slow", path="/api/v1/statuses", delay=0.5)
    with pytest.raises(Unknown):
        built.publish(_request())


@pytest.mark.parametrize("how", ["revoked", "fault"])
def test_a_revoked_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, how: str
) -> None:
    if how == "revoked":
        sandbox.revoke(TOKEN)
    else:
        sandbox.fault("mastodon", "unauthorized", path="/api/v1/statuses")
    with pytest.raises(AuthExpired) as caught:
        adapter().publish(_request())
    assert TOKEN not in caught.value.message
    assert TOKEN.split(":")[0] not in caught.value.message


def test_no_error_message_carries_the_token(sandbox: SandboxControl, adapter: Build) -> None:
    messages = []
    for kind in ("rate_limit", "server_error", "unauthorized", "drop_after_create"):
        sandbox.fault("mastodon", kind)
        with pytest.raises(PlatformError) as caught:
            adapter().publish(_request())
        messages.append(caught.value.message)
        sandbox.reset()
    assert not [m for m in messages if TOKEN.split(":")[0] in m]


# --- lookup --------------------------------------------------------------------------------


def test_lookup_finds_the_status_after_a_dropped_create(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("mastodon", "drop_after_create", path="/api/v1/statuses")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))

    found = adapter().lookup(_request(progress=progress))

    [post] = sandbox.posts("mastodon")
    assert found is not None
    assert found.external_id == post["id"]
    assert found.url == post["url"]


def test_lookup_reads_mentions_and_links_as_mastodon_renders_them(
    sandbox: SandboxControl, adapter: Build
) -> None:
    text = (
        "Thanks @gaffer@film.social & @props for the rain rig!\n\nStills: "
        "https://callsheet.test/stills/night-12/the-long-path-name #BTS #NightShoot"
    )
    adapter().publish(_request(text))
    assert adapter().lookup(_request(text)) is not None


def test_lookup_says_absent_when_nothing_went_out(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(
        PublishRequest(idempotency_key="another", text="A different post.", account_handle="crew")
    )
    assert adapter().lookup(_request()) is None


def test_lookup_does_not_take_another_accounts_status(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter(access_token="other-token:props").publish(_request())
    assert adapter().lookup(_request()) is None


def test_lookup_of_a_thread_found_in_part_resumes_at_the_missing_part(
    sandbox: SandboxControl, adapter: Build
) -> None:
    _fail_after_first_part(sandbox)
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG))  # progress lost: a fresh NoProgress each time

    progress = NoProgress()
    assert adapter().lookup(_request(LONG, progress=progress)) is None
    assert len(progress.state["statuses"]) == 1

    result = adapter().publish(_request(LONG, progress=progress))
    posts = sandbox.posts("mastodon")
    assert result.external_id == posts[0]["id"]
    assert posts[1]["body"]["in_reply_to_id"] == posts[0]["id"]
    assert adapter().lookup(_request(LONG)) == result


def test_lookup_refuses_to_judge_a_window_it_cannot_read_to_the_end(
    sandbox: SandboxControl, adapter: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mastodon_lookup, "STATUSES_PAGE_LIMIT", 2)
    monkeypatch.setattr(mastodon_lookup, "LOOKUP_MAX_PAGES", 1)
    for n in range(3):
        adapter().publish(
            PublishRequest(idempotency_key=f"k{n}", text=f"Post {n}", account_handle="crew")
        )
    with pytest.raises(Permanent, match="cannot tell"):
        adapter().lookup(_request())


# --- settings and validation ---------------------------------------------------------------


def test_a_server_address_is_required_and_must_be_http() -> None:
    with pytest.raises(ValidationError, match="base_url"):
        build_adapter("mastodon", {"base_url": "mastodon.social", "access_token": TOKEN})
    with pytest.raises(ValidationError) as caught:
        build_adapter("mastodon", {"base_url": "https://m.test", "access_token": TOKEN, "x": 1})
    assert TOKEN not in str(caught.value)


def test_validate_reports_the_text_rules_problems(adapter: Build) -> None:
    built = adapter()
    assert built.validate(SHORT) == []
    assert built.validate("") != []
