"""TikTok adapter against the sandbox over real HTTP: Direct Post, resumption, every error."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from platforms.adapters.base import (
    AuthExpired,
    Media,
    NoProgress,
    Permanent,
    PlatformError,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.registry import build_adapter
from platforms.adapters.tiktok import TikTokAdapter
from platforms.adapters.video import mp4_duration
from sandbox.control import SandboxControl
from tests.media_links import link
from tests.platforms.adapters.video_files import mp4

TOKEN = "tt-access-0123456789:crew-cam"
REFRESH = "tt-refresh-9876543210:crew-cam"
CLIENT_SECRET = "tt-client-secret-abcdef"
MB = 1024 * 1024

Build = Callable[..., TikTokAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for a creator on the sandbox (``token`` picks the account), closed after."""
    made: list[TikTokAdapter] = []

    def build(token: str = TOKEN, **settings: Any) -> TikTokAdapter:
        raw = {
            "base_url": sandbox.url("tiktok"),
            "access_token": token,
            "poll_seconds": 0.01,
            "publish_wait_seconds": 5,
            "timeout_seconds": 5,
            **settings,
        }
        built = build_adapter("tiktok", raw)
        assert isinstance(built, TikTokAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "day12-rain.mp4"
    path.write_bytes(mp4())
    return path


def _url(video: Path | str) -> str:
    """A link as it is; a file as the web would serve it."""
    return video if isinstance(video, str) else link(video)


def _request(
    video: Path | str,
    text: str = "Night 12: the rain machine wins again #bts",
    progress: NoProgress | None = None,
    key: str = "callsheet-7-abc",
) -> PublishRequest:
    return PublishRequest(
        idempotency_key=key,
        text=text,
        account_handle="@crew-cam",
        media=[Media(url=_url(video), kind="video", alt="The crew under umbrellas")],
        progress=progress or NoProgress(),
    )


def _lookup_until_settled(built: TikTokAdapter, request: PublishRequest) -> PublishResult | None:
    """Ask as the dispatcher does: "still processing" (Transient) means ask again later."""
    for _ in range(20):
        try:
            return built.lookup(request)
        except Transient:
            time.sleep(0.1)
    raise AssertionError("TikTok never settled")


def _sessions(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.records("tiktok", kind="publish")


def test_direct_post_asks_the_creator_then_uploads_the_file_and_waits_for_it(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(video, progress=progress))

    [session] = _sessions(sandbox)
    [post] = sandbox.posts("tiktok", account="crew-cam")
    size = video.stat().st_size
    assert post["body"]["post_info"] == {
        "title": "Night 12: the rain machine wins again #bts",
        "privacy_level": "SELF_ONLY",
        "disable_comment": False,
        "disable_duet": False,
        "disable_stitch": False,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
    }
    assert post["body"]["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": size,
        "total_chunk_count": 1,
    }
    assert session["state"]["chunks"] == [
        {"content_range": f"bytes 0-{size - 1}/{size}", "content_type": "video/mp4"}
    ]
    # A private post has no public id: the publish id names it.
    assert result.external_id == session["id"] == progress.state["publish_id"]
    assert result.url is None


def test_a_public_post_is_named_by_its_post_id_and_link(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    result = adapter(privacy_level="PUBLIC_TO_EVERYONE").publish(_request(video))

    [post] = sandbox.posts("tiktok")
    assert result.external_id == post["id"]
    assert result.url == f"https://www.tiktok.com/@crew-cam/video/{post['id']}"


def test_a_privacy_level_the_creator_does_not_offer_is_refused_before_sending(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    built = adapter(token="tt-private:private-crew", privacy_level="PUBLIC_TO_EVERYONE")
    with pytest.raises(Permanent, match="FOLLOWER_OF_CREATOR, SELF_ONLY"):
        built.publish(_request(video))
    assert _sessions(sandbox) == []


def test_features_the_creator_turned_off_are_sent_disabled(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    adapter(token="tt-quiet:quiet-crew").publish(_request(video))

    [post] = sandbox.posts("tiktok")
    info = post["body"]["post_info"]
    assert (info["disable_comment"], info["disable_duet"], info["disable_stitch"]) == (
        True,
        True,
        True,
    )


def test_a_video_longer_than_the_creator_may_post_is_refused_before_uploading(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    long_cut = tmp_path / "long.mp4"
    long_cut.write_bytes(mp4(seconds=601))
    with pytest.raises(Permanent, match="601s long"):
        adapter().publish(_request(long_cut))
    assert _sessions(sandbox) == []


@pytest.mark.parametrize(
    "media",
    [[], [Media(url="https://cdn.test/still.jpg")], [Media(url="a.mp4"), Media(url="b.mp4")]],
)
def test_a_post_is_exactly_one_video(
    sandbox: SandboxControl, adapter: Build, media: list[Media]
) -> None:
    request = PublishRequest(
        idempotency_key="callsheet-7-abc", text="Stills", account_handle="@c", media=media
    )
    with pytest.raises(Permanent, match="exactly one video"):
        adapter().publish(request)
    assert _sessions(sandbox) == []


def test_a_big_video_goes_in_chunks_the_last_taking_the_remainder(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    size = 11 * MB + 123
    big.write_bytes(mp4(size=size))
    adapter(chunk_bytes=5 * MB).publish(_request(big))

    [session] = _sessions(sandbox)
    assert session["body"]["source_info"]["total_chunk_count"] == 2
    assert [c["content_range"] for c in session["state"]["chunks"]] == [
        f"bytes 0-{5 * MB - 1}/{size}",
        f"bytes {5 * MB}-{size - 1}/{size}",
    ]
    assert len(sandbox.posts("tiktok")) == 1


def test_a_chunk_whose_answer_was_lost_is_confirmed_by_the_status_and_not_sent_again(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(mp4(size=11 * MB))
    sandbox.fault("tiktok", "drop_after_create", path="/video/", method="PUT")
    adapter(chunk_bytes=5 * MB).publish(_request(big))

    [session] = _sessions(sandbox)
    assert len(session["state"]["chunks"]) == 2
    assert len(sandbox.posts("tiktok")) == 1


def test_an_interrupted_upload_resumes_on_retry_without_a_second_init(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(mp4(size=11 * MB))
    progress = NoProgress()
    sandbox.fault("tiktok", "server_error", path="/video/", method="PUT")
    with pytest.raises(Transient, match="continues the upload"):
        adapter(chunk_bytes=5 * MB).publish(_request(big, progress=progress))
    assert sandbox.posts("tiktok") == []
    assert progress.state["publish_id"]
    assert adapter().lookup(_request(big, progress=progress)) is None  # not all bytes arrived

    adapter(chunk_bytes=5 * MB).publish(_request(big, progress=progress))
    [session] = _sessions(sandbox)
    assert len(session["state"]["chunks"]) == 2
    assert len(sandbox.posts("tiktok")) == 1


def test_a_lost_init_answer_for_an_upload_is_transient_and_certainly_absent(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    """The bytes never left, so nothing can be on TikTok: retrying is safe."""
    progress = NoProgress()
    sandbox.fault("tiktok", "drop_after_create", path="/video/init/")
    with pytest.raises(Transient, match="nothing can have been posted"):
        adapter().publish(_request(video, progress=progress))
    assert sandbox.posts("tiktok") == []
    assert adapter().lookup(_request(video, progress=progress)) is None

    adapter().publish(_request(video, progress=progress))
    assert len(sandbox.posts("tiktok")) == 1


def test_pull_from_url_lets_tiktok_fetch_the_video(sandbox: SandboxControl, adapter: Build) -> None:
    url = "https://media.callsheet.test/day12.mp4"
    adapter(video_source="PULL_FROM_URL").publish(_request(url))

    [post] = sandbox.posts("tiktok")
    assert post["body"]["source_info"] == {"source": "PULL_FROM_URL", "video_url": url}


def test_a_lost_pull_init_is_unknown_and_a_public_post_is_found_by_its_caption(
    sandbox: SandboxControl, adapter: Build
) -> None:
    url = "https://media.callsheet.test/day12.mp4"
    progress = NoProgress()
    built = adapter(video_source="PULL_FROM_URL", privacy_level="PUBLIC_TO_EVERYONE")
    sandbox.fault("tiktok", "drop_after_create", path="/video/init/")
    with pytest.raises(Unknown):
        built.publish(_request(url, progress=progress))

    found = built.lookup(_request(url, progress=progress))
    [post] = sandbox.posts("tiktok")
    assert found is not None
    assert found.external_id == post["id"]
    assert found.url == post["url"]


def test_a_long_caption_is_found_by_tiktoks_150_character_cut(
    sandbox: SandboxControl, adapter: Build
) -> None:
    url = "https://media.callsheet.test/day12.mp4"
    caption = "Night 12 on the rooftop set: " + "the rain machine wins again, " * 12
    progress = NoProgress()
    built = adapter(video_source="PULL_FROM_URL", privacy_level="PUBLIC_TO_EVERYONE")
    sandbox.fault("tiktok", "drop_after_create", path="/video/init/")
    with pytest.raises(Unknown):
        built.publish(_request(url, caption, progress=progress))

    found = built.lookup(_request(url, caption, progress=progress))
    assert found is not None
    assert found.external_id == sandbox.posts("tiktok")[0]["id"]
    other = _request(url, caption + " (take two)", progress=NoProgress({"source": "x"}))
    assert built.lookup(other) is None  # never sent a pull: certainly absent


def test_a_lost_private_pull_init_cannot_be_settled_by_the_video_list(
    sandbox: SandboxControl, adapter: Build
) -> None:
    url = "https://media.callsheet.test/day12.mp4"
    progress = NoProgress()
    built = adapter(video_source="PULL_FROM_URL")
    sandbox.fault("tiktok", "drop_after_create", path="/video/init/")
    with pytest.raises(Unknown):
        built.publish(_request(url, progress=progress))
    with pytest.raises(Permanent, match="lists only public"):
        built.lookup(_request(url, progress=progress))


def test_rate_limits_inside_http_200_wait_out_the_minute(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    sandbox.fault("tiktok", "rate_limit", path="/video/init/")
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request(video))
    assert caught.value.retry_after == 60
    assert "rate_limit_exceeded" in caught.value.message
    assert sandbox.posts("tiktok") == []


def test_a_throttled_status_poll_keeps_the_publish_and_the_retry_finishes_it(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    sandbox.fault("tiktok", "rate_limit", path="/status/fetch/")
    with pytest.raises(RateLimited):
        adapter().publish(_request(video, progress=progress))

    result = adapter().publish(_request(video, progress=progress))
    assert result.external_id == progress.state["publish_id"]
    assert len(_sessions(sandbox)) == 1
    assert len(sandbox.posts("tiktok")) == 1


def test_the_daily_post_cap_is_a_rate_limit_for_an_hour(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    with pytest.raises(RateLimited) as caught:
        adapter(token="tt-capped:capped-crew").publish(_request(video))
    assert caught.value.retry_after == 3600
    assert "spam_risk_too_many_posts" in caught.value.message


@pytest.mark.parametrize("how", ["revoked", "unauthorized"])
def test_a_dead_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, video: Path, how: str
) -> None:
    if how == "revoked":
        sandbox.revoke(TOKEN)
    else:
        sandbox.fault("tiktok", "unauthorized")
    with pytest.raises(AuthExpired) as caught:
        adapter().publish(_request(video))
    assert "access_token_invalid" in caught.value.message
    assert TOKEN not in caught.value.message


def test_a_server_error_on_an_upload_init_is_transient_but_on_a_pull_init_unknown(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    sandbox.fault("tiktok", "server_error", path="/video/init/")
    with pytest.raises(Transient):
        adapter().publish(_request(video))
    sandbox.fault("tiktok", "server_error", path="/video/init/")
    with pytest.raises(Unknown, match="internal_error"):
        adapter(video_source="PULL_FROM_URL").publish(_request("https://m.test/a.mp4"))


def test_a_status_unanswered_after_the_upload_is_unknown_and_the_lookup_settles_it(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    """Every byte went: the video may be out, so giving up must never read as "failed"."""
    progress = NoProgress()
    sandbox.fault("tiktok", "slow", path="/status/fetch/", delay=0.6)
    with pytest.raises(Unknown, match="publish id is saved"):
        adapter(timeout_seconds=0.2).publish(_request(video, progress=progress))

    found = _lookup_until_settled(adapter(), _request(video, progress=progress))
    assert found is not None
    assert found.external_id == progress.state["publish_id"]
    assert len(_sessions(sandbox)) == 1


def test_a_status_unanswered_before_the_last_chunk_is_transient_and_the_retry_resumes(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(mp4(size=11 * MB))
    progress = NoProgress()
    sandbox.fault("tiktok", "server_error", path="/video/", method="PUT")
    sandbox.fault("tiktok", "server_error", path="/status/fetch/")
    with pytest.raises(Transient):
        adapter(chunk_bytes=5 * MB).publish(_request(big, progress=progress))

    adapter(chunk_bytes=5 * MB).publish(_request(big, progress=progress))
    assert len(_sessions(sandbox)) == 1
    assert len(sandbox.posts("tiktok")) == 1


def test_a_failed_publish_is_permanent_with_tiktoks_reason_and_then_certainly_absent(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_bytes(b"this is a shot list, not a video" * 10)
    progress = NoProgress()
    with pytest.raises(Permanent, match="file_format_check_failed"):
        adapter().publish(_request(not_a_video, progress=progress))
    assert progress.state["publish_id"] is None
    assert adapter().lookup(_request(not_a_video, progress=progress)) is None


def test_still_processing_after_the_wait_is_unknown_and_the_lookup_finds_it(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    # The first status answer (still processing) comes after the wait is over, however fast
    # this machine is: the adapter must stop there, not poll again.
    sandbox.fault("tiktok", "slow", path="status/fetch", delay=0.3)
    with pytest.raises(Unknown, match="still processing"):
        adapter(publish_wait_seconds=0.1).publish(_request(video, progress=progress))

    found = adapter().lookup(_request(video, progress=progress))
    assert found is not None
    assert found.external_id == progress.state["publish_id"]


def test_progress_saved_for_other_content_is_not_resumed(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    adapter().publish(_request(video, progress=progress, key="callsheet-7-old"))
    adapter().publish(_request(video, "New approved caption", progress=progress))

    assert len(_sessions(sandbox)) == 2
    assert [p["body"]["text"] for p in sandbox.posts("tiktok")] == [
        "Night 12: the rain machine wins again #bts",
        "New approved caption",
    ]


def _refreshable(adapter: Build, expires_in: timedelta, **settings: Any) -> TikTokAdapter:
    return adapter(
        refresh_token=REFRESH,
        client_key="callsheet-app",
        client_secret=CLIENT_SECRET,
        token_expires_at=(datetime.now(UTC) + expires_in).isoformat(),
        **settings,
    )


def test_a_token_about_to_expire_is_refreshed_and_both_new_tokens_are_kept(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    built = _refreshable(adapter, timedelta(minutes=2))
    now = datetime.now(UTC)
    built.prepare(now)

    changes = built.take_changes()
    assert set(changes) == {"access_token", "refresh_token", "token_expires_at"}
    assert changes["access_token"].get_secret_value() != TOKEN
    assert changes["refresh_token"].get_secret_value() != REFRESH
    assert changes["token_expires_at"] == now + timedelta(seconds=86400)
    built.publish(_request(video))  # the new token works, for the same creator
    assert len(sandbox.posts("tiktok", account="crew-cam")) == 1


def test_a_fresh_token_is_not_refreshed(sandbox: SandboxControl, adapter: Build) -> None:
    built = _refreshable(adapter, timedelta(hours=20))
    built.prepare(datetime.now(UTC))
    assert built.take_changes() == {}
    assert sandbox.records("tiktok", kind="token") == []


def test_a_refused_refresh_needs_reconnecting_without_showing_any_secret(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(REFRESH)
    built = _refreshable(adapter, timedelta(minutes=-1))
    with pytest.raises(AuthExpired, match="invalid_grant") as caught:
        built.prepare(datetime.now(UTC))
    for secret in (REFRESH, CLIENT_SECRET, TOKEN):
        assert secret not in caught.value.message
    assert built.take_changes() == {}


def test_a_refresh_that_fails_transiently_keeps_a_still_valid_token(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("tiktok", "server_error", path="/oauth/token/")
    built = _refreshable(adapter, timedelta(minutes=2))
    built.prepare(datetime.now(UTC))
    assert built.take_changes() == {}


def test_a_refresh_token_needs_the_apps_credentials() -> None:
    with pytest.raises(ValidationError, match="client_key and client_secret") as caught:
        build_adapter("tiktok", {"access_token": TOKEN, "refresh_token": REFRESH})
    assert REFRESH not in str(caught.value)


def test_no_error_message_carries_a_secret(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(mp4(size=11 * MB))
    progress = NoProgress()
    sandbox.fault("tiktok", "server_error", path="/video/", method="PUT")
    sandbox.fault("tiktok", "server_error", path="/status/fetch/")
    with pytest.raises(PlatformError) as caught:
        adapter(chunk_bytes=5 * MB).publish(_request(big, progress=progress))
    [session] = _sessions(sandbox)
    for secret in (TOKEN, session["state"]["upload_token"], progress.state["upload_url"]):
        assert secret not in caught.value.message


def test_validate_uses_the_tiktok_caption_rules(adapter: Build) -> None:
    assert adapter().validate("Wrap party tonight") == []
    [problem] = adapter().validate("x" * 2201)
    assert "2,200" in problem


def test_the_duration_is_read_from_the_movie_header() -> None:
    assert mp4_duration(mp4(seconds=42)) == 42
    assert mp4_duration(mp4(seconds=90.5, version=1)) == 90.5
    assert mp4_duration(b"not a video at all") is None
