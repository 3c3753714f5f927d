"""LinkedIn adapter against the sandbox over real HTTP: posts, uploads, duplicates, lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from platforms.adapters import linkedin
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
from platforms.adapters.linkedin import LinkedInAdapter, little_text
from platforms.adapters.linkedin_api import until_midnight_utc
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl
from tests.media_links import link

AUTHOR = "urn:li:organization:2414183"
TOKEN = "li-access-3d9f1a7c5e"
REFRESH = "li-refresh-8b6a4c2e0d"
CLIENT_SECRET = "li-client-secret-5a4b3c2d1e"
TEXT = "Day 30 on set: the art department built a 1970s newsroom in four days."

Build = Callable[..., LinkedInAdapter]


@pytest.fixture
def adapter(sandbox: SandboxControl) -> Iterator[Build]:
    made: list[LinkedInAdapter] = []

    def build(**settings: Any) -> LinkedInAdapter:
        url = sandbox.url("linkedin")
        raw = {"author": AUTHOR, "access_token": TOKEN, "base_url": url, "oauth_url": url}
        built = build_adapter("linkedin", {**raw, **settings})
        assert isinstance(built, LinkedInAdapter)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


@pytest.fixture
def stills(tmp_path: Path) -> list[Media]:
    made = []
    for number in range(3):
        path = tmp_path / f"newsroom-{number}.jpg"
        path.write_bytes(b"\xff\xd8\xff" + bytes([number]) * 2048)
        made.append(Media(url=link(path), alt=f"The newsroom set, angle {number + 1}"))
    return made


def _request(
    text: str = TEXT, media: list[Media] | None = None, progress: NoProgress | None = None
) -> PublishRequest:
    return PublishRequest(
        idempotency_key="callsheet-41-abc",
        text=text,
        account_handle="Night Shift Pictures",
        media=media or [],
        progress=progress or NoProgress(),
    )


def _posts(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return sandbox.posts("linkedin", account=AUTHOR)


# --- posts -----------------------------------------------------------------------------------


def test_a_post_has_the_documented_body_headers_and_urn(
    sandbox: SandboxControl, adapter: Build
) -> None:
    result = adapter().publish(_request())

    [post] = _posts(sandbox)
    assert result.external_id == post["id"]
    assert result.external_id.startswith("urn:li:share:")
    assert result.url == f"https://www.linkedin.com/feed/update/{post['id']}/"
    body = {k: v for k, v in post["body"].items() if k != "text"}
    assert body == {
        "author": AUTHOR,
        "commentary": TEXT,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert post["state"] == {"linkedin_version": "202609", "restli_protocol": "2.0.0"}


def test_commentary_escapes_markup_but_keeps_links_and_hashtags() -> None:
    text = "Scene 4 (take 2) with @lead_actor. #BTS_day https://example.com/a_b?x=1#top *wow*"
    assert little_text(text) == (
        r"Scene 4 \(take 2\) with \@lead\_actor. #BTS_day https://example.com/a_b?x=1#top \*wow\*"
    )


def test_the_commentary_is_sent_escaped(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(_request("Lighting test (v2) for @gaffer"))
    [post] = _posts(sandbox)
    assert post["body"]["commentary"] == r"Lighting test \(v2\) for \@gaffer"


def test_one_image_is_uploaded_and_carries_its_alt_text(
    sandbox: SandboxControl, adapter: Build, stills: list[Media]
) -> None:
    adapter().publish(_request(media=stills[:1]))

    [image] = sandbox.records("linkedin", kind="image")
    assert image["state"]["status"] == "AVAILABLE"
    assert image["state"]["bytes"] == 2051
    [post] = _posts(sandbox)
    assert post["body"]["content"] == {
        "media": {"id": image["id"], "altText": "The newsroom set, angle 1"}
    }


def test_several_images_make_a_multi_image_post(
    sandbox: SandboxControl, adapter: Build, stills: list[Media]
) -> None:
    adapter().publish(_request(media=stills))

    images = sandbox.records("linkedin", kind="image")
    [post] = _posts(sandbox)
    assert post["body"]["content"] == {
        "multiImage": {
            "images": [
                {"id": image["id"], "altText": media.alt}
                for image, media in zip(images, stills, strict=True)
            ]
        }
    }


def test_a_video_is_uploaded_in_parts_and_finalized(
    sandbox: SandboxControl, adapter: Build, tmp_path: Path
) -> None:
    path = tmp_path / "newsroom.mp4"
    path.write_bytes(b"\x00" * (5 * 1024 * 1024))  # over LinkedIn's 4 MiB part size
    adapter().publish(_request(media=[Media(url=link(path), kind="video")]))

    [video] = sandbox.records("linkedin", kind="video")
    assert video["state"]["status"] == "AVAILABLE"
    assert len(video["state"]["etags"]) == 2
    [post] = _posts(sandbox)
    assert post["body"]["content"]["media"]["id"] == video["id"]


def test_a_retry_reuses_the_uploads(
    sandbox: SandboxControl, adapter: Build, stills: list[Media]
) -> None:
    progress = NoProgress()
    sandbox.fault("linkedin", "rate_limit", path="/rest/posts")
    with pytest.raises(RateLimited):
        adapter().publish(_request(media=stills[:2], progress=progress))
    adapter().publish(_request(media=stills[:2], progress=progress))

    assert len(sandbox.records("linkedin", kind="image")) == 2
    assert len(_posts(sandbox)) == 1


def test_a_repeat_is_recognised_as_already_published(
    sandbox: SandboxControl, adapter: Build
) -> None:
    first = adapter().publish(_request())
    again = adapter().publish(_request())  # no progress: LinkedIn's duplicate answer names it

    assert again.external_id == first.external_id
    assert len(_posts(sandbox)) == 1


def test_video_with_images_is_refused_before_any_upload(
    sandbox: SandboxControl, adapter: Build, stills: list[Media]
) -> None:
    with pytest.raises(Permanent, match="one video"):
        adapter().publish(_request(media=[stills[0], Media(url="clip.mp4", kind="video")]))
    assert sandbox.records("linkedin", kind="image") == []


def test_text_over_the_limit_is_permanent(sandbox: SandboxControl, adapter: Build) -> None:
    built = adapter()
    assert built.validate("x" * 3001)
    with pytest.raises(Permanent, match="3,000"):
        built.publish(_request("x" * 3001))
    assert _posts(sandbox) == []


# --- errors ----------------------------------------------------------------------------------


def test_a_throttle_waits_until_the_daily_reset_at_midnight_utc(
    sandbox: SandboxControl, adapter: Build
) -> None:
    sandbox.fault("linkedin", "rate_limit")
    with pytest.raises(RateLimited) as caught:
        adapter().publish(_request())
    assert abs(caught.value.retry_after - until_midnight_utc()) < 5
    assert "APPLICATION DAY" in caught.value.message


def test_midnight_is_counted_in_utc() -> None:
    assert until_midnight_utc(datetime(2026, 11, 21, 23, 0, tzinfo=UTC)) == 3600


@pytest.mark.parametrize("how", ["fault", "revoked"])
def test_a_dead_token_needs_reconnecting_and_is_never_shown(
    sandbox: SandboxControl, adapter: Build, how: str
) -> None:
    if how == "fault":
        sandbox.fault("linkedin", "unauthorized")
    else:
        sandbox.revoke(TOKEN)
    with pytest.raises(AuthExpired) as caught:
        adapter(refresh_token=REFRESH, client_id="cid", client_secret=CLIENT_SECRET).publish(
            _request()
        )
    for secret in (TOKEN, REFRESH, CLIENT_SECRET):
        assert secret not in caught.value.message


@pytest.mark.parametrize("kind", ["server_error", "drop_after_create", "slow"])
def test_a_lost_answer_to_the_post_is_unknown(
    sandbox: SandboxControl, adapter: Build, kind: str
) -> None:
    sandbox.fault("linkedin", kind, path="/rest/posts", delay=1)
    with pytest.raises(Unknown):
        adapter(timeout_seconds=0.3).publish(_request())


def test_a_failed_upload_is_only_transient(
    sandbox: SandboxControl, adapter: Build, stills: list[Media]
) -> None:
    sandbox.fault("linkedin", "server_error", path="/dms-uploads/")
    with pytest.raises(Transient):
        adapter().publish(_request(media=stills[:1]))
    assert _posts(sandbox) == []


# --- lookup ----------------------------------------------------------------------------------


def test_lookup_finds_the_post_after_a_dropped_create(
    sandbox: SandboxControl, adapter: Build
) -> None:
    progress = NoProgress()
    sandbox.fault("linkedin", "drop_after_create", path="/rest/posts")
    with pytest.raises(Unknown):
        adapter().publish(_request("Costume fittings (round 2)", progress=progress))
    [post] = _posts(sandbox)

    found = adapter().lookup(_request("Costume fittings (round 2)", progress=progress))

    assert found is not None
    assert found.external_id == post["id"]
    assert progress.state["post"] == post["id"]


def test_lookup_is_none_when_absent(sandbox: SandboxControl, adapter: Build) -> None:
    adapter().publish(_request("Something else entirely"))
    assert adapter().lookup(_request()) is None


def test_lookup_refuses_to_judge_a_window_it_cannot_read_to_the_end(
    sandbox: SandboxControl, adapter: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkedin, "PAGE_SIZE", 2)
    monkeypatch.setattr(linkedin, "MAX_PAGES", 1)
    built = adapter()
    for number in range(3):
        built.publish(_request(f"Post {number}"))
    with pytest.raises(Permanent, match="cannot tell"):
        built.lookup(_request())


# --- OAuth -----------------------------------------------------------------------------------


def test_a_token_about_to_expire_is_refreshed_and_the_refresh_token_kept(
    sandbox: SandboxControl, adapter: Build
) -> None:
    now = datetime.now(UTC)
    built = adapter(
        refresh_token=REFRESH,
        client_id="cid",
        client_secret=CLIENT_SECRET,
        token_expires_at=now + timedelta(minutes=3),
    )
    built.prepare(now)

    changes = built.take_changes()
    assert changes["access_token"].get_secret_value() != TOKEN
    assert changes["refresh_token"].get_secret_value() == REFRESH
    assert changes["token_expires_at"] > now + timedelta(days=59)
    sandbox.revoke(TOKEN)
    built.publish(_request())
    assert len(_posts(sandbox)) == 1


def test_an_answer_without_a_refresh_token_keeps_ours() -> None:
    """LinkedIn may leave ``refresh_token`` out; losing ours would strand the account."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert b"grant_type=refresh_token" in request.content
        return httpx.Response(200, json={"access_token": "li-new-token", "expires_in": 5184000})

    now = datetime.now(UTC)
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        built = build_adapter(
            "linkedin",
            {
                "author": AUTHOR,
                "access_token": TOKEN,
                "refresh_token": REFRESH,
                "client_id": "cid",
                "client_secret": CLIENT_SECRET,
                "token_expires_at": now,
            },
            client=client,
        )
        built.prepare(now)
    changes = built.take_changes()
    assert changes["access_token"] == SecretStr("li-new-token")
    assert changes["refresh_token"] == SecretStr(REFRESH)


def test_a_refused_refresh_needs_reconnecting_without_showing_secrets(
    sandbox: SandboxControl, adapter: Build
) -> None:
    now = datetime.now(UTC)
    sandbox.revoke(REFRESH)
    built = adapter(
        refresh_token=REFRESH,
        client_id="cid",
        client_secret=CLIENT_SECRET,
        token_expires_at=now + timedelta(minutes=1),
    )
    with pytest.raises(AuthExpired, match="invalid, expired or revoked") as caught:
        built.prepare(now)
    for secret in (TOKEN, REFRESH, CLIENT_SECRET):
        assert secret not in caught.value.message


def test_an_expired_token_without_a_refresh_token_needs_reconnecting(adapter: Build) -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthExpired, match="no refresh token"):
        adapter(token_expires_at=now - timedelta(minutes=1)).prepare(now)


def test_a_token_with_time_left_is_not_refreshed(adapter: Build) -> None:
    now = datetime.now(UTC)
    built = adapter(
        refresh_token=REFRESH,
        client_id="cid",
        client_secret=CLIENT_SECRET,
        token_expires_at=now + timedelta(days=10),
    )
    built.prepare(now)
    assert built.take_changes() == {}


@pytest.mark.parametrize(
    ("field", "value"), [("author", "urn:li:company:1"), ("api_version", "2026-09")]
)
def test_settings_are_checked(field: str, value: str) -> None:
    raw = {"author": AUTHOR, "access_token": TOKEN, field: value}
    with pytest.raises(ValidationError, match=field):
        build_adapter("linkedin", raw)
