"""Bluesky adapter against the sandbox PDS over real HTTP: sessions, records, facets, errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

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
from platforms.adapters.bluesky import BlueskyAdapter, record_key, tid_time
from platforms.adapters.bluesky_session import jwt_expiry
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl
from tests.media_links import link

HANDLE = "crew.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
KEY = "callsheet-9-0123456789abcdef"
TID = r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$"
#: An emoji (4 UTF-8 bytes) before the link moves its facet by 4 bytes, not 1.
SHORT = "Night 12 🌧 https://callsheet.film/night-12 #BTS"
LONG = " ".join(f"Sentence {n} about the night shoot on the pier, in the rain." for n in range(12))

Build = Callable[..., BlueskyAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for crew.bsky.social on the sandbox PDS, closed after the test."""
    made: list[BlueskyAdapter] = []

    def build(**settings: Any) -> BlueskyAdapter:
        raw = {
            "base_url": sandbox.url("bluesky"),
            "identifier": HANDLE,
            "app_password": PASSWORD,
            **settings,
        }
        built = build_adapter("bluesky", raw)
        assert isinstance(built, BlueskyAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def _request(
    text: str = SHORT, *, media: list[Media] | None = None, progress: NoProgress | None = None
) -> PublishRequest:
    return PublishRequest(
        idempotency_key=KEY,
        text=text,
        account_handle=HANDLE,
        media=media or [],
        progress=progress or NoProgress(),
    )


def _sessions(sandbox: SandboxControl) -> list[str]:
    """How each session was opened, oldest first: createSession or refreshSession."""
    return [r["body"]["via"] for r in sandbox.records("bluesky", kind="session")]


def _signed_in(build: Build) -> dict[str, Any]:
    """Settings of an adapter that has published once: the session it remembered."""
    first = build()
    first.publish(
        PublishRequest(idempotency_key="warm-up", text="Call time 6am.", account_handle=HANDLE)
    )
    return first.take_changes()


@pytest.fixture
def still(tmp_path: Path) -> Media:
    path = tmp_path / "pier.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    return Media(url=link(path), alt="The pier at night, lit for the rain scene")


# --- the request flow ----------------------------------------------------------------------


def test_publish_creates_a_post_record_with_facets_under_a_tid_key(
    sandbox: SandboxControl, adapter: Build
) -> None:
    built = adapter(langs=("en",))
    result = built.publish(_request())

    [post] = sandbox.posts("bluesky")
    body = post["body"]
    assert body["$type"] == "app.bsky.feed.post"
    assert body["text"] == SHORT
    assert body["langs"] == ["en"]
    assert body["rkey"] == post["id"].rsplit("/", 1)[-1]
    assert re.match(TID, body["rkey"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["createdAt"])
    created = datetime.fromisoformat(body["createdAt"])
    assert abs(created - tid_time(body["rkey"])) < timedelta(seconds=5)
    link_start = len("Night 12 🌧 ".encode())
    assert body["facets"] == [
        {
            "index": {"byteStart": link_start, "byteEnd": link_start + 31},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://callsheet.film/night-12"}
            ],
        },
        {
            "index": {"byteStart": link_start + 32, "byteEnd": link_start + 36},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "BTS"}],
        },
    ]
    assert result.external_id == post["id"]
    did = post["id"].split("/")[2]
    assert result.url == f"https://bsky.app/profile/{did}/post/{body['rkey']}"
    assert _sessions(sandbox) == ["createSession"]


def test_the_session_is_remembered_and_reused_by_the_next_adapter(
    sandbox: SandboxControl, adapter: Build
) -> None:
    remembered = _signed_in(adapter)
    assert set(remembered) == {"access_jwt", "refresh_jwt", "did", "token_expires_at"}
    assert remembered["token_expires_at"] == jwt_expiry(remembered["access_jwt"].get_secret_value())

    later = adapter(**remembered)
    later.prepare(datetime.now(UTC))
    later.publish(_request())

    assert _sessions(sandbox) == ["createSession"]  # one sign-in for both publishes
    assert later.take_changes() == {}
    [_, post] = sandbox.posts("bluesky")
    assert post["state"]["authorization"] == f"Bearer {remembered['access_jwt'].get_secret_value()}"


def test_prepare_refreshes_a_session_about_to_end(sandbox: SandboxControl, adapter: Build) -> None:
    remembered = _signed_in(adapter)
    soon = datetime.now(UTC) + timedelta(minutes=4)
    later = adapter(**{**remembered, "token_expires_at": soon})

    later.prepare(datetime.now(UTC))

    changes = later.take_changes()
    assert _sessions(sandbox) == ["createSession", "refreshSession"]
    assert changes["access_jwt"] != remembered["access_jwt"]
    assert changes["refresh_jwt"] != remembered["refresh_jwt"]
    assert changes["token_expires_at"] > soon


def test_an_access_token_that_expired_anyway_is_refreshed_and_the_post_sent_once(
    sandbox: SandboxControl, adapter: Build
) -> None:
    remembered = _signed_in(adapter)
    expire = f"{sandbox.url('bluesky')}/_sandbox/expire"
    httpx.post(expire, json={"token": remembered["access_jwt"].get_secret_value()})

    adapter(**remembered).publish(_request())

    assert _sessions(sandbox) == ["createSession", "refreshSession"]
    assert len(sandbox.posts("bluesky")) == 2  # the warm-up and this one


def test_a_refused_refresh_token_falls_back_to_a_new_session(
    sandbox: SandboxControl, adapter: Build
) -> None:
    remembered = _signed_in(adapter)
    sandbox.revoke(remembered["refresh_jwt"].get_secret_value())
    later = adapter(**{**remembered, "token_expires_at": datetime.now(UTC)})

    later.prepare(datetime.now(UTC))

    assert _sessions(sandbox) == ["createSession", "createSession"]
    assert later.take_changes()["refresh_jwt"] != remembered["refresh_jwt"]


def test_a_revoked_app_password_needs_reconnecting_and_no_secret_is_shown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(PASSWORD)
    with pytest.raises(AuthExpired) as caught:
        adapter().publish(_request())
    assert PASSWORD not in caught.value.message
    assert sandbox.posts("bluesky") == []


def test_mentions_name_the_did_of_handles_that_resolve(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sign_in = f"{sandbox.url('bluesky')}/xrpc/com.atproto.server.createSession"
    props = httpx.post(sign_in, json={"identifier": "props.bsky.social", "password": "x-y-z-w"})
    text = "Thanks @props.bsky.social and @nobody.bsky.social for the rig"

    adapter().publish(_request(text))

    [post] = sandbox.posts("bluesky")
    start = len(b"Thanks ")
    assert post["body"]["facets"] == [
        {
            "index": {"byteStart": start, "byteEnd": start + len("@props.bsky.social")},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": props.json()["did"]}],
        }
    ]


def test_long_text_is_a_thread_of_replies_to_root_and_parent(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("bluesky")
    assert len(posts) > 1
    root = {"uri": posts[0]["id"], "cid": posts[0]["body"]["cid"]}
    assert "reply" not in posts[0]["body"]
    for index, post in enumerate(posts[1:], 1):
        parent = {"uri": posts[index - 1]["id"], "cid": posts[index - 1]["body"]["cid"]}
        assert post["body"]["reply"] == {"root": root, "parent": parent}
        assert post["body"]["text"].endswith(f" {index + 1}/{len(posts)}")
    assert [p["body"]["rkey"] for p in posts] == progress.state["rkeys"]
    assert progress.state["rkeys"] == sorted(progress.state["rkeys"])
    assert result.external_id == root["uri"]


def test_images_are_uploaded_once_and_embedded_with_alt_text(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    progress = NoProgress()
    sandbox.fault("bluesky", "server_error", path="createRecord")  # 503: nothing created
    with pytest.raises(Unknown):
        adapter().publish(_request(media=[still], progress=progress))

    adapter().publish(_request(media=[still], progress=progress))

    [blob] = sandbox.records("bluesky", kind="blob")
    assert blob["body"]["mimeType"] == "image/png"
    [post] = sandbox.posts("bluesky")
    assert post["body"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [{"image": blob["body"], "alt": "The pier at night, lit for the rain scene"}],
    }


def test_blobs_the_pds_has_since_removed_are_uploaded_again(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    gone = {"$type": "blob", "ref": {"$link": "bafkreigone"}, "mimeType": "image/png", "size": 9}
    progress = NoProgress({"key": KEY, "blobs": {"0": gone}})

    adapter().publish(_request(media=[still], progress=progress))

    [blob] = sandbox.records("bluesky", kind="blob")
    [post] = sandbox.posts("bluesky")
    assert post["body"]["embed"]["images"][0]["image"] == blob["body"]
    assert progress.state["blobs"] == {"0": blob["body"]}


def test_a_video_is_embedded_as_a_video(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    path = tmp_path / "rain.mp4"
    path.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    adapter().publish(_request(media=[Media(url=link(path), kind="video", alt="Rain, 30s")]))

    [post] = sandbox.posts("bluesky")
    embed = post["body"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "Rain, 30s"
    assert embed["video"]["mimeType"] == "video/mp4"


def test_too_many_images_are_refused_before_uploading(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    with pytest.raises(Permanent, match="at most 4"):
        adapter().publish(_request(media=[still] * 5))
    assert sandbox.records("bluesky", kind="blob") == []


# --- never twice ---------------------------------------------------------------------------


def test_a_repeat_after_a_dropped_answer_finds_the_record_instead_of_posting_again(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("bluesky", "drop_after_create", path="createRecord")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))

    result = adapter().publish(_request(progress=progress))

    [post] = sandbox.posts("bluesky")
    assert result.external_id == post["id"]


class _TakenBack(Exception):
    """What the worker's progress raises when its delivery was taken back (``NotOwned``)."""


class _LostHold(NoProgress):
    """Progress of a worker whose lease ran out before it chose the keys: every save fails."""

    def save(self, **changes: Any) -> None:
        raise _TakenBack


def test_keys_are_kept_before_anything_is_sent_so_an_attempt_that_cannot_keep_them_sends_nothing(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """Every attempt of a delivery creates under the keys saved with it. An attempt whose save
    is refused (another worker holds the delivery now) stops before the first create, so two
    attempts can never post under keys of their own."""
    with pytest.raises(_TakenBack):
        adapter().publish(_request(progress=_LostHold()))

    assert sandbox.posts("bluesky") == []


def test_lookup_finds_the_post_after_a_dropped_create(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("bluesky", "drop_after_create", path="createRecord")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))

    found = adapter().lookup(_request(progress=progress))

    [post] = sandbox.posts("bluesky")
    assert found is not None
    assert found.external_id == post["id"]


def test_lookup_says_absent_when_the_create_never_arrived(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("bluesky", "server_error", path="createRecord")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))
    assert progress.state["rkeys"]

    assert adapter().lookup(_request(progress=progress)) is None
    assert adapter().lookup(_request()) is None  # no keys chosen: nothing was ever sent


def test_lookup_of_a_thread_found_in_part_resumes_at_the_missing_part(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0)  # part 1 goes through
    sandbox.fault("bluesky", "drop_after_create", path="createRecord")  # part 2: answer lost
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG, progress=progress))
    # As if the answers had never been recorded: only the keys chosen before sending.
    progress = NoProgress({k: v for k, v in progress.state.items() if k != "posts"})

    assert adapter().lookup(_request(LONG, progress=progress)) is None
    assert len(progress.state["posts"]) == 2

    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("bluesky")
    assert [p["body"]["rkey"] for p in posts] == progress.state["rkeys"]
    assert result.external_id == posts[0]["id"]
    assert adapter().lookup(_request(LONG, progress=progress)) == result


def test_an_earlier_version_already_out_is_left_to_a_person(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("bluesky", "drop_after_create", path="createRecord")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))

    edited = PublishRequest(
        idempotency_key="callsheet-9-edited",
        text="Edited",
        account_handle=HANDLE,
        progress=progress,
    )
    with pytest.raises(Permanent, match="earlier version"):
        adapter().lookup(edited)
    assert len(sandbox.posts("bluesky")) == 1


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["createSession", "createRecord"])
def test_rate_limits_wait_until_the_reset(
    sandbox: SandboxControl, adapter: Build, path: str
) -> None:
    sandbox.fault("bluesky", "rate_limit", path=path, retry_after=120)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert 115 <= caught.value.retry_after <= 121
    assert sandbox.posts("bluesky") == []


def test_slow_answers_beyond_the_timeout_are_unknown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    built = adapter(timeout_seconds=0.2)
    built.prepare(datetime.now(UTC))
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0.5)
    with pytest.raises(Unknown):
        built.publish(_request())


def test_a_failed_read_is_transient(sandbox: SandboxControl, adapter: Build) -> None:
    progress = NoProgress({"key": KEY, "rkeys": [record_key(datetime.now(UTC), 1)]})
    built = adapter()
    built.prepare(datetime.now(UTC))
    sandbox.fault("bluesky", "server_error", path="getRecord")
    with pytest.raises(Transient):
        built.lookup(_request(progress=progress))


def test_no_error_message_carries_a_secret(sandbox: SandboxControl, adapter: Build) -> None:
    remembered = _signed_in(adapter)
    secrets = [PASSWORD] + [remembered[k].get_secret_value() for k in ("access_jwt", "refresh_jwt")]
    messages = []
    for kind in ("rate_limit", "server_error", "unauthorized", "drop_after_create"):
        sandbox.fault("bluesky", kind, times=3)
        with pytest.raises(PlatformError) as caught:
            adapter(**remembered).publish(_request())
        messages.append(caught.value.message)
        sandbox.reset()
        remembered = _signed_in(adapter)
        secrets += [remembered[k].get_secret_value() for k in ("access_jwt", "refresh_jwt")]
    assert not [m for m in messages for s in secrets if s in m]


# --- keys and validation -------------------------------------------------------------------


def test_record_keys_are_tids_of_a_time_and_the_delivery() -> None:
    now = datetime(2026, 11, 21, 21, 30, tzinfo=UTC)
    key = record_key(now, 7)
    assert re.match(TID, key)
    assert tid_time(key) == now
    assert record_key(now, 8) != key
    assert record_key(now + timedelta(microseconds=1), 7) > key  # sortable by time


def test_a_retry_keeps_the_keys_but_dates_the_post_when_it_is_made(
    sandbox: SandboxControl, adapter: Build
) -> None:
    """A post that waited out a rate limit must not show up in feeds hours in the past."""
    hours_ago = record_key(datetime.now(UTC) - timedelta(hours=3), 5)
    progress = NoProgress({"key": KEY, "rkeys": [hours_ago]})

    adapter().publish(_request(progress=progress))

    [post] = sandbox.posts("bluesky")
    assert post["body"]["rkey"] == hours_ago
    created = datetime.fromisoformat(post["body"]["createdAt"])
    assert abs(created - datetime.now(UTC)) < timedelta(seconds=5)


def test_validate_reports_the_text_rules_problems(adapter: Build) -> None:
    assert adapter().validate(SHORT) == []
    assert adapter().validate("") != []
