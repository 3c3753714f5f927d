"""X adapter against the sandbox over real HTTP: posts, threads, media, tokens, every error."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

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
from platforms.adapters.registry import build_adapter
from platforms.adapters.x import XAdapter
from platforms.adapters.x_api import x_retry_after
from sandbox.control import SandboxControl
from tests.media_links import link

ACCESS = "x-access-token-0123456789:crew"
REFRESH = "x-refresh-token-abcdefghij:crew"
CLIENT_SECRET = "x-client-secret-klmnopqrst"
KEY = "callsheet-11-0123456789abcdef"
SHORT = "Night 12: the rain machine wins again & so does the crew. https://callsheet.film/n12"
LONG = " ".join(f"Sentence {n} about the night shoot on the pier, in the rain." for n in range(12))

Build = Callable[..., XAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for the account "crew" on the sandbox's X, closed after the test."""
    made: list[XAdapter] = []

    def build(client: httpx.Client | None = None, **settings: Any) -> XAdapter:
        raw = {
            "base_url": sandbox.url("x"),
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "client_id": "callsheet-app",
            "media_poll_seconds": 0.01,
            **settings,
        }
        built = build_adapter("x", {k: v for k, v in raw.items() if v is not None}, client=client)
        assert isinstance(built, XAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


@pytest.fixture
def still(tmp_path: Path) -> Media:
    path = tmp_path / "pier.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    return Media(url=link(path), alt="The pier at night, lit for the rain scene")


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
        account_handle="@crew",
        media=media or [],
        progress=progress or NoProgress(),
    )


def _counting(paths: list[str]) -> httpx.Client:
    return httpx.Client(event_hooks={"request": [lambda r: paths.append(r.url.path)]})


# --- the request flow ----------------------------------------------------------------------


def test_publish_posts_the_text_with_the_users_token(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request())

    [post] = sandbox.posts("x")
    assert post["account"] == "crew"
    assert post["body"]["text"] == SHORT
    assert post["body"]["reply"] is None
    assert post["state"]["authorization"] == f"Bearer {ACCESS}"
    assert result.external_id == post["id"]
    assert result.url == f"https://x.com/i/web/status/{post['id']}"


def test_long_text_goes_out_as_a_thread_of_replies(sandbox: SandboxControl, adapter: Build) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("x")
    assert len(posts) > 1
    assert result.external_id == posts[0]["id"]
    for parent, reply in itertools.pairwise(posts):
        assert reply["body"]["reply"] == {"in_reply_to_tweet_id": parent["id"]}
    for number, post in enumerate(posts, 1):
        assert post["body"]["text"].endswith(f" {number}/{len(posts)}")
    assert progress.state["posts"] == [p["id"] for p in posts]


def test_images_are_uploaded_described_and_attached(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    progress = NoProgress()
    adapter().publish(_request(media=[still], progress=progress))

    [upload] = sandbox.records("x", kind="media")
    assert upload["body"]["category"] == "tweet_image"
    assert upload["body"]["alt_text"] == "The pier at night, lit for the rain scene"
    [post] = sandbox.posts("x")
    assert post["body"]["media"] == {"media_ids": [upload["id"]]}
    assert progress.state["media"]["0"]["id"] == upload["id"]
    assert progress.state["media"]["0"]["alt"] is True


def test_a_video_goes_up_in_chunks_and_waits_for_processing(
    sandbox: SandboxControl, adapter: Build, clip: Media
) -> None:
    paths: list[str] = []
    with _counting(paths) as client:
        adapter(client=client).publish(_request(media=[clip]))

    [upload] = sandbox.records("x", kind="media")
    media_id = upload["id"]
    steps = [p.removeprefix("/x") for p in paths if "/2/media" in p or p == "/x/2/tweets"]
    assert steps == [
        "/2/media/upload/initialize",
        f"/2/media/upload/{media_id}/append",
        f"/2/media/upload/{media_id}/finalize",
        "/2/media/upload",  # STATUS: in_progress
        "/2/media/upload",  # STATUS: succeeded
        "/2/media/metadata",
        "/2/tweets",
    ]
    assert upload["body"]["category"] == "tweet_video"
    assert upload["state"]["segments"] == [0]
    [post] = sandbox.posts("x")
    assert post["body"]["media"] == {"media_ids": [media_id]}


def test_a_retry_reuses_the_uploaded_media(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    progress = NoProgress()
    sandbox.fault("x", "server_error", path="/2/tweets")
    with pytest.raises(Unknown):
        adapter().publish(_request(media=[still], progress=progress))

    paths: list[str] = []
    with _counting(paths) as client:
        adapter(client=client).publish(_request(media=[still], progress=progress))

    assert len(sandbox.records("x", kind="media")) == 1
    assert paths == ["/x/2/tweets"]  # no upload, no second alt text: straight to the post


def test_a_resumed_thread_posts_only_the_missing_parts(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("x", "slow", path="/2/tweets", delay=0)  # part 1 goes through
    sandbox.fault("x", "server_error", path="/2/tweets")  # part 2: 503 before creating
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG, progress=progress))
    [first] = sandbox.posts("x")

    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("x")
    assert result.external_id == first["id"]
    assert posts[1]["body"]["reply"] == {"in_reply_to_tweet_id": first["id"]}
    assert len({p["body"]["text"] for p in posts}) == len(posts)


# --- tokens --------------------------------------------------------------------------------


def test_prepare_refreshes_a_token_about_to_expire_as_a_confidential_client(
    sandbox: SandboxControl, adapter: Build
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=4)
    built = adapter(client_secret=CLIENT_SECRET, token_expires_at=soon)

    built.prepare(datetime.now(UTC))
    built.publish(_request())

    changes = built.take_changes()
    new_access = changes["access_token"].get_secret_value()
    assert new_access != ACCESS
    assert changes["refresh_token"].get_secret_value() != REFRESH
    assert changes["token_expires_at"] > datetime.now(UTC) + timedelta(minutes=110)
    [grant] = sandbox.records("x", kind="token")
    assert grant["body"]["client_id"] == "callsheet-app"
    [post] = sandbox.posts("x")
    assert post["account"] == "crew"  # the refreshed token speaks for the same account
    assert post["state"]["authorization"] == f"Bearer {new_access}"


def test_a_token_far_from_expiry_is_not_refreshed(sandbox: SandboxControl, adapter: Build) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    built = adapter(token_expires_at=later)
    built.prepare(datetime.now(UTC))
    assert built.take_changes() == {}
    assert sandbox.records("x", kind="token") == []


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(
    sandbox: SandboxControl, adapter: Build
) -> None:
    config = f"{sandbox.url('x')}/_sandbox/oauth"
    httpx.put(config, json={"rotate_refresh_tokens": False}).raise_for_status()
    built = adapter(token_expires_at=datetime.now(UTC))

    built.prepare(datetime.now(UTC))

    assert built.take_changes()["refresh_token"].get_secret_value() == REFRESH


def test_a_401_is_met_with_one_refresh_and_one_more_try(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(ACCESS)
    built = adapter()

    built.publish(_request())

    [post] = sandbox.posts("x")
    new_access = built.take_changes()["access_token"].get_secret_value()
    assert post["state"]["authorization"] == f"Bearer {new_access}"


def test_a_refused_refresh_needs_reconnecting_and_shows_no_secret(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(ACCESS)
    sandbox.revoke(REFRESH)
    with pytest.raises(AuthExpired) as caught:
        adapter(client_secret=CLIENT_SECRET).publish(_request())
    for secret in (ACCESS, REFRESH, CLIENT_SECRET):
        assert secret not in caught.value.message
    assert sandbox.posts("x") == []


def test_a_revoked_token_without_a_refresh_token_needs_reconnecting(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(ACCESS)
    with pytest.raises(AuthExpired):
        adapter(refresh_token=None).publish(_request())


# --- never twice ---------------------------------------------------------------------------


def test_a_duplicate_of_an_older_post_is_permanent_and_says_so(
    sandbox: SandboxControl, adapter: Build
) -> None:
    adapter().publish(PublishRequest(idempotency_key="earlier", text=SHORT, account_handle="crew"))
    with pytest.raises(Permanent, match="duplicate"):
        adapter().publish(_request())
    assert len(sandbox.posts("x")) == 1


def test_a_retry_after_a_dropped_answer_finds_its_own_post(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("x", "drop_after_create", path="/2/tweets")
    with pytest.raises(Unknown):
        adapter().publish(_request(progress=progress))

    result = adapter().publish(_request(progress=progress))

    [post] = sandbox.posts("x")
    assert result.external_id == post["id"]


def test_lookup_finds_the_post_after_a_dropped_create(
    sandbox: SandboxControl, adapter: Build, still: Media
) -> None:
    """The post comes back with t.co links, a media link and ``&amp;``: still ours."""
    progress = NoProgress()
    sandbox.fault("x", "drop_after_create", path="/2/tweets")
    with pytest.raises(Unknown):
        adapter().publish(_request(media=[still], progress=progress))

    found = adapter().lookup(_request(media=[still], progress=progress))

    [post] = sandbox.posts("x")
    assert found is not None
    assert found.external_id == post["id"]


def test_lookup_says_absent_when_nothing_went_out(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(PublishRequest(idempotency_key="other", text="Wrap!", account_handle="crew"))
    assert adapter().lookup(_request()) is None
    assert adapter(access_token="x-other-token:props").lookup(_request()) is None


def test_lookup_of_a_thread_found_in_part_resumes_at_the_missing_part(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("x", "slow", path="/2/tweets", delay=0)
    sandbox.fault("x", "drop_after_create", path="/2/tweets")
    with pytest.raises(Unknown):
        adapter().publish(_request(LONG))  # its progress is lost

    progress = NoProgress()
    assert adapter().lookup(_request(LONG, progress=progress)) is None
    assert len(progress.state["posts"]) == 2

    result = adapter().publish(_request(LONG, progress=progress))

    posts = sandbox.posts("x")
    assert result.external_id == posts[0]["id"]
    assert posts[2]["body"]["reply"] == {"in_reply_to_tweet_id": posts[1]["id"]}
    assert adapter().lookup(_request(LONG)) == result


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("wait", [90, 3 * 3600])
def test_rate_limits_wait_until_the_exhausted_window_resets(
    sandbox: SandboxControl, adapter: Build, wait: int
) -> None:
    """90 s: the 15-minute window; 3 h: the 24-hour posting limit, not the 15-minute reset."""
    sandbox.fault("x", "rate_limit", retry_after=wait)
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert wait - 5 <= caught.value.retry_after <= wait
    assert sandbox.posts("x") == []


def test_the_longest_exhausted_window_decides() -> None:
    headers = {
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": "1060",
        "x-app-limit-24hour-remaining": "0",
        "x-app-limit-24hour-reset": "5000",
    }
    assert x_retry_after(headers, now=1000) == 4000
    assert (
        x_retry_after({"x-rate-limit-remaining": "3", "x-rate-limit-reset": "1060"}, now=1000) == 60
    )


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create"])
def test_a_lost_answer_to_a_post_is_unknown(
    sandbox: SandboxControl, adapter: Build, kind: str
) -> None:
    sandbox.fault("x", kind, path="/2/tweets")
    with pytest.raises(Unknown):
        adapter().publish(_request())


def test_slow_answers_beyond_the_timeout_are_unknown(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("x", "slow", path="/2/tweets", delay=0.5)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.2).publish(_request())


def test_a_failed_read_is_transient(sandbox: SandboxControl, adapter: Build) -> None:
    sandbox.fault("x", "server_error", path="/2/users/me")
    with pytest.raises(Transient):
        adapter().lookup(_request())


def test_no_error_message_carries_a_secret(sandbox: SandboxControl, adapter: Build) -> None:
    messages = []
    for kind in ("rate_limit", "server_error", "unauthorized", "drop_after_create"):
        sandbox.fault("x", kind, times=3)
        with pytest.raises(PlatformError) as caught:
            adapter(client_secret=CLIENT_SECRET).publish(_request())
        messages.append(caught.value.message)
        sandbox.reset()
    basic = base64.b64encode(f"callsheet-app:{CLIENT_SECRET}".encode()).decode()
    assert not [m for m in messages for s in (ACCESS, REFRESH, CLIENT_SECRET, basic) if s in m]


# --- settings and validation ---------------------------------------------------------------


def test_a_refresh_token_needs_a_client_id_and_secrets_stay_out_of_errors() -> None:
    with pytest.raises(ValidationError, match="client_id") as caught:
        build_adapter("x", {"access_token": ACCESS, "refresh_token": REFRESH})
    assert REFRESH not in str(caught.value)


def test_validate_reports_the_text_rules_problems(adapter: Build) -> None:
    assert adapter().validate(SHORT) == []
    assert adapter().validate("\ufffe") != []
