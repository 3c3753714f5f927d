"""YouTube adapter against the sandbox over real HTTP: resumable upload, quota, tokens."""

from __future__ import annotations

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
    PublishRequest,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.registry import build_adapter
from platforms.adapters.youtube import YouTubeAdapter, tags
from platforms.adapters.youtube_api import until_quota_reset
from sandbox.control import SandboxControl
from tests.media_links import link
from tests.platforms.adapters.video_files import mp4

TOKEN = "ya29.access-0123456789:bts-channel"
REFRESH = "1//refresh-9876543210:bts-channel"
CLIENT_SECRET = "GOCSPX-client-secret-abc"
KIB = 1024
TEXT = "Night 12: the rain machine wins\nThe crew under umbrellas, take seven. #bts #RainMachine"

Build = Callable[..., YouTubeAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    """Adapters for a channel on the sandbox, closed after the test."""
    made: list[YouTubeAdapter] = []

    def build(token: str = TOKEN, **settings: Any) -> YouTubeAdapter:
        raw = {
            "base_url": sandbox.url("youtube"),
            "token_url": f"{sandbox.url('youtube')}/token",
            "access_token": token,
            "timeout_seconds": 5,
            **settings,
        }
        built = build_adapter("youtube", raw)
        assert isinstance(built, YouTubeAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "day12-rain.mp4"
    path.write_bytes(mp4(size=4096))
    return path


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """Three chunks of 256 KiB (the last one short)."""
    path = tmp_path / "day12-rain-long.mp4"
    path.write_bytes(mp4(size=600 * KIB))
    return path


def _request(
    video: Path,
    text: str = TEXT,
    progress: NoProgress | None = None,
    metadata: dict[str, Any] | None = None,
) -> PublishRequest:
    return PublishRequest(
        idempotency_key="callsheet-9-def",
        text=text,
        account_handle="BTS channel",
        media=[Media(url=link(video), kind="video")],
        metadata=metadata or {},
        progress=progress or NoProgress(),
    )


def _sessions(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.records("youtube", kind="upload")


def test_a_resumable_upload_makes_one_video_titled_by_the_first_line(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    result = adapter().publish(_request(video, progress=progress))

    [session] = _sessions(sandbox)
    [post] = sandbox.posts("youtube", account="bts-channel")
    size = video.stat().st_size
    assert session["body"] == {
        "snippet": {
            "title": "Night 12: the rain machine wins",
            "description": "The crew under umbrellas, take seven. #bts #RainMachine",
            "tags": ["bts", "RainMachine"],
            "categoryId": "24",
        },
        "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False},
    }
    assert session["state"]["content_type"] == "video/mp4"
    assert session["state"]["chunks"] == [f"bytes 0-{size - 1}/{size}"]
    assert result.external_id == post["id"] == progress.state["video_id"]
    assert result.url == f"https://www.youtube.com/watch?v={post['id']}"


def test_publish_at_makes_youtube_publish_a_private_video_later(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    when = datetime(2027, 5, 1, 17, 0, tzinfo=UTC)
    adapter(privacy_status="public").publish(_request(video, metadata={"publish_at": when}))

    [session] = _sessions(sandbox)
    assert session["body"]["status"] == {
        "privacyStatus": "private",
        "selfDeclaredMadeForKids": False,
        "publishAt": "2027-05-01T17:00:00Z",
    }


def test_a_long_video_goes_in_256_kib_chunks(
    sandbox: SandboxControl, adapter: Build, big: Path
) -> None:
    adapter(chunk_bytes=256 * KIB).publish(_request(big))

    [session] = _sessions(sandbox)
    size = big.stat().st_size
    assert session["state"]["chunks"] == [
        f"bytes 0-{256 * KIB - 1}/{size}",
        f"bytes {256 * KIB}-{512 * KIB - 1}/{size}",
        f"bytes {512 * KIB}-{size - 1}/{size}",
    ]
    assert len(sandbox.posts("youtube")) == 1


def test_a_lost_answer_to_the_last_bytes_is_settled_by_asking_the_session(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    """The video was made and the answer lost: the session hands it back; no second upload."""
    sandbox.fault("youtube", "drop_after_create", method="PUT")
    result = adapter().publish(_request(video))

    [post] = sandbox.posts("youtube")
    assert result.external_id == post["id"]
    assert len(_sessions(sandbox)[0]["state"]["chunks"]) == 1


def test_a_lost_answer_to_a_middle_chunk_continues_from_the_byte_youtube_has(
    sandbox: SandboxControl, adapter: Build, big: Path
) -> None:
    sandbox.fault("youtube", "drop_after_create", method="PUT")
    adapter(chunk_bytes=256 * KIB).publish(_request(big))

    [session] = _sessions(sandbox)
    assert len(session["state"]["chunks"]) == 3  # the first chunk was not sent twice
    assert len(sandbox.posts("youtube")) == 1


def test_an_interrupted_upload_resumes_on_retry_in_the_same_session(
    sandbox: SandboxControl, adapter: Build, big: Path
) -> None:
    progress = NoProgress()
    sandbox.fault("youtube", "server_error", method="PUT")
    with pytest.raises(Transient, match="YouTube has 0 of") as caught:
        adapter(chunk_bytes=256 * KIB).publish(_request(big, progress=progress))
    assert sandbox.posts("youtube") == []
    session = progress.state["upload_url"]
    for secret in (TOKEN, session, session.rsplit("upload_id=", 1)[-1]):
        assert secret not in caught.value.message
    assert adapter().lookup(_request(big, progress=progress)) is None  # not all bytes there

    adapter(chunk_bytes=256 * KIB).publish(_request(big, progress=progress))
    assert len(_sessions(sandbox)) == 1
    assert len(sandbox.posts("youtube")) == 1


def test_no_answer_after_the_last_bytes_is_unknown_and_the_lookup_asks_the_session(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    sandbox.fault("youtube", "server_error", method="PUT", times=2)  # the bytes, then the query
    with pytest.raises(Unknown, match="asks the upload session"):
        adapter().publish(_request(video, progress=progress))

    assert adapter().lookup(_request(video, progress=progress)) is None  # the bytes never landed
    adapter().publish(_request(video, progress=progress))
    assert len(_sessions(sandbox)) == 1
    assert len(sandbox.posts("youtube")) == 1


def test_a_lost_session_answer_is_transient_and_nothing_is_there(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    sandbox.fault("youtube", "drop_after_create", method="POST", path="/upload/")
    with pytest.raises(Transient):
        adapter().publish(_request(video, progress=progress))
    assert adapter().lookup(_request(video, progress=progress)) is None

    adapter().publish(_request(video, progress=progress))
    assert len(sandbox.posts("youtube")) == 1


def test_a_saved_video_is_confirmed_by_id(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    progress = NoProgress()
    made = adapter().publish(_request(video, progress=progress))
    found = adapter().lookup(_request(video, progress=progress))
    assert found == made


def test_a_session_gone_after_the_last_bytes_is_looked_up_by_title_in_the_channel(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    made = adapter().publish(_request(video))
    expired = f"{sandbox.url('youtube')}/upload/youtube/v3/videos?upload_id=expired"
    sent = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    state = {
        "content_key": "callsheet-9-def",
        "upload_url": expired,
        "video_size": video.stat().st_size,
        "completing": True,
        "first_sent_at": sent,
    }
    found = adapter().lookup(_request(video, progress=NoProgress(state)))
    assert found == made

    other = _request(video, "Another title\nbody", progress=NoProgress(state))
    with pytest.raises(Permanent, match="YouTube Studio"):
        adapter().lookup(other)


def test_nothing_saved_means_certainly_absent(adapter: Build, video: Path) -> None:
    assert adapter().lookup(_request(video)) is None


def test_the_spent_quota_waits_until_midnight_pacific(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    sandbox.fault("youtube", "rate_limit")
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request(video))
    expected = until_quota_reset(datetime.now(UTC))
    assert abs(caught.value.retry_after - expected) < 5
    assert "midnight Pacific" in caught.value.message
    assert "quotaExceeded" in caught.value.message
    assert sandbox.posts("youtube") == []


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), 19),  # 05:00 PDT
        (datetime(2026, 1, 15, 7, 30, tzinfo=UTC), 0.5),  # 23:30 PST
        (datetime(2026, 3, 8, 8, 0, tzinfo=UTC), 23),  # midnight PST, the day clocks go forward
        (datetime(2026, 11, 1, 7, 0, tzinfo=UTC), 25),  # midnight PDT, the day they go back
    ],
)
def test_quota_resets_at_pacific_midnight_across_daylight_saving(
    now: datetime, hours: float
) -> None:
    assert until_quota_reset(now) == hours * 3600


@pytest.mark.parametrize("how", ["revoked", "unauthorized"])
def test_a_dead_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, video: Path, how: str
) -> None:
    if how == "revoked":
        sandbox.revoke(TOKEN)
    else:
        sandbox.fault("youtube", "unauthorized")
    with pytest.raises(AuthExpired) as caught:
        adapter().publish(_request(video))
    assert "authError" in caught.value.message
    assert TOKEN not in caught.value.message


def test_a_slow_session_answer_is_transient(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    sandbox.fault("youtube", "slow", method="POST", delay=1)
    with pytest.raises(Transient):
        adapter(timeout_seconds=0.3).publish(_request(video))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 101 + "\nbody", "limit for a title"),
        ("Wrap <party>\nbody", 'does not accept "<"'),
        ("   \n  ", "needs a title"),
    ],
)
def test_a_text_youtube_would_refuse_is_refused_before_sending(
    sandbox: SandboxControl, adapter: Build, video: Path, text: str, problem: str
) -> None:
    with pytest.raises(Permanent, match=problem):
        adapter().publish(_request(video, text))
    assert adapter().validate(text) != []
    assert _sessions(sandbox) == []


def test_validate_does_not_ask_for_the_video(adapter: Build) -> None:
    assert adapter().validate(TEXT) == []


def test_a_post_is_exactly_one_video(sandbox: SandboxControl, adapter: Build) -> None:
    request = PublishRequest(
        idempotency_key="k", text=TEXT, account_handle="c", media=[Media(url="a.jpg")]
    )
    with pytest.raises(Permanent, match="exactly one video"):
        adapter().publish(request)
    assert _sessions(sandbox) == []


def test_tags_are_the_hashtags_once_each_within_500_characters() -> None:
    assert tags("#BTS day, #bts again, #Set_Life") == ["BTS", "Set_Life"]
    many = " ".join(f"#take{n:03d}{'x' * 40}" for n in range(20))
    kept = tags(many)
    assert sum(map(len, kept)) + len(kept) - 1 <= 500
    assert 0 < len(kept) < 20


def _refreshable(adapter: Build, expires_in: timedelta) -> YouTubeAdapter:
    return adapter(
        refresh_token=REFRESH,
        client_id="callsheet.apps.googleusercontent.com",
        client_secret=CLIENT_SECRET,
        token_expires_at=(datetime.now(UTC) + expires_in).isoformat(),
    )


def test_a_refresh_keeps_the_refresh_token_google_did_not_resend(
    sandbox: SandboxControl, adapter: Build, video: Path
) -> None:
    built = _refreshable(adapter, timedelta(minutes=3))
    now = datetime.now(UTC)
    built.prepare(now)

    changes = built.take_changes()
    assert set(changes) == {"access_token", "token_expires_at"}  # the refresh token stays
    assert changes["token_expires_at"] == now + timedelta(seconds=3599)
    assert built.settings.refresh_token is not None
    assert built.settings.refresh_token.get_secret_value() == REFRESH
    built.publish(_request(video))  # with the new token, on the same channel
    assert len(sandbox.posts("youtube", account="bts-channel")) == 1


def test_a_fresh_token_is_not_refreshed(sandbox: SandboxControl, adapter: Build) -> None:
    built = _refreshable(adapter, timedelta(minutes=50))
    built.prepare(datetime.now(UTC))
    assert built.take_changes() == {}
    assert sandbox.records("youtube", kind="token") == []


def test_a_refused_refresh_needs_reconnecting_without_showing_any_secret(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.revoke(REFRESH)
    built = _refreshable(adapter, timedelta(seconds=-10))
    with pytest.raises(AuthExpired, match="invalid_grant") as caught:
        built.prepare(datetime.now(UTC))
    for secret in (REFRESH, CLIENT_SECRET, TOKEN):
        assert secret not in caught.value.message


def test_settings_are_checked_without_echoing_secrets() -> None:
    with pytest.raises(ValidationError, match="256 KiB"):
        build_adapter("youtube", {"access_token": TOKEN, "chunk_bytes": 1000 * KIB})
    with pytest.raises(ValidationError, match="client_id and client_secret") as caught:
        build_adapter("youtube", {"access_token": TOKEN, "refresh_token": REFRESH})
    assert REFRESH not in str(caught.value)
    assert TOKEN not in str(caught.value)
