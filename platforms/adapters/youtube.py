"""YouTube: ``videos.insert`` by resumable upload, one video per delivery.

The video resource (``snippet``: title, description, tags, categoryId; ``status``:
privacyStatus, selfDeclaredMadeForKids, publishAt) opens a resumable upload session, saved to
progress at once; the bytes go to it in chunks, and a lost answer is settled by asking the
session where it stands, so an upload is never restarted and a video never made twice
(``youtube_upload``). The video YouTube answers with at the end is recorded in progress.

Text (``platforms.text`` YouTube rules, checked at submit time): the **title** is the first line
of the text, trimmed (at most 100 characters), and the **description** is the rest of the text
(at most 5,000 bytes); ``split_title`` decides it once for the check and for publishing, so
what passed the check is exactly what is sent. Neither may contain ``<`` or ``>``. Hashtags in
the text become the video's ``tags`` (YouTube's 500-character cap for all tags together).

``privacyStatus`` comes from the account (``private`` by default: videos uploaded by an
unverified API project are locked private anyway). A delivery may carry ``publish_at`` in its
metadata: YouTube then publishes the video itself at that time, which it allows only for a
private video, so the status is sent as ``private`` with ``publishAt``.

Quota: uploads cost from the project's daily quota; ``quotaExceeded`` waits until midnight
Pacific time (see ``youtube_api``). Tokens: Google access tokens last an hour; ``prepare``
refreshes at ``token_url`` within ``REFRESH_MARGIN`` of expiry (``oauth``) and keeps the refresh
token (Google does not send a new one).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, field_validator, model_validator

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    HttpURL,
    Media,
    Permanent,
    PublishRequest,
    PublishResult,
    Unknown,
    UTCTime,
)
from platforms.adapters.media import MediaFile, load_media
from platforms.adapters.oauth import refresh_ahead
from platforms.adapters.steps import Steps
from platforms.adapters.video import the_video
from platforms.adapters.youtube_api import API_HOST, OAUTH_ENDPOINT, YouTubeAPI
from platforms.adapters.youtube_upload import (
    CHUNK_GRANULARITY,
    DEFAULT_CHUNK_BYTES,
    ResumableUpload,
)
from platforms.text import RULES, CannotPublish, TextRules, extract_hashtags, shape, split_title

#: videos resource: ``snippet.tags`` hold at most 500 characters, commas between tags included.
TAGS_MAX_CHARACTERS = 500
#: Ours: refresh a Google access token (1 h lifetime) when it expires within this margin.
REFRESH_MARGIN = timedelta(minutes=5)
#: search.list: at most 50 results a page (a search costs 100 quota units, so one page only).
SEARCH_PAGE_SIZE = 50
#: Ours: the search index and our clock differ; a video may carry a time this much before ours.
CLOCK_SKEW = timedelta(minutes=5)
#: videoCategories: 24 is Entertainment (1 Film & Animation, 20 Gaming suit some productions).
DEFAULT_CATEGORY = "24"

Privacy = Literal["private", "unlisted", "public"]


class YouTubeSettings(AdapterSettings):
    """One channel: Google OAuth tokens with the ``youtube.upload`` scope."""

    base_url: HttpURL = Field(default=API_HOST, description="The YouTube Data API host.")
    token_url: HttpURL = Field(
        default=OAUTH_ENDPOINT, description="Google's OAuth token endpoint, for refreshes."
    )
    access_token: SecretStr = Field(
        description="A Google OAuth access token with the youtube.upload scope."
    )
    refresh_token: SecretStr | None = Field(
        default=None,
        description="Renews the access token, which lasts an hour (needs the OAuth client).",
    )
    token_expires_at: UTCTime | None = Field(
        default=None, description="When the access token expires; a refresh is due before then."
    )
    client_id: str | None = Field(
        default=None, description="The Google OAuth client id, needed to refresh the token."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="The Google OAuth client secret, needed to refresh the token."
    )
    privacy_status: Privacy = Field(
        default="private",
        description="Who sees the videos; an unverified API project may only upload private.",
    )
    category_id: str = Field(
        default=DEFAULT_CATEGORY,
        pattern=r"^\d+$",
        description="The videos' YouTube category id (24 is Entertainment, 1 Film & Animation).",
    )
    made_for_kids: bool = Field(
        default=False, description="Declare the videos made for children (COPPA)."
    )
    chunk_bytes: int = Field(
        default=DEFAULT_CHUNK_BYTES,
        ge=CHUNK_GRANULARITY,
        description="Bytes per chunk of a resumable upload, a multiple of 256 KiB.",
    )
    timeout_seconds: float = Field(
        default=60.0, gt=0, le=600, description="Seconds to wait for YouTube to answer."
    )

    @field_validator("chunk_bytes")
    @classmethod
    def _whole_granules(cls, value: int) -> int:
        if value % CHUNK_GRANULARITY:
            raise ValueError(f"must be a multiple of {CHUNK_GRANULARITY} bytes (256 KiB)")
        return value

    @model_validator(mode="after")
    def _refresh_needs_the_client(self) -> YouTubeSettings:
        if self.refresh_token is not None and not (self.client_id and self.client_secret):
            raise ValueError("a refresh_token needs the OAuth client_id and client_secret")
        return self


class YouTubeAdapter(Adapter[YouTubeSettings]):
    name: ClassVar[str] = "youtube"
    label: ClassVar[str] = "YouTube"
    settings_model: ClassVar[type[AdapterSettings]] = YouTubeSettings
    rules: ClassVar[TextRules] = RULES["youtube"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.api = YouTubeAPI(
            base_url=self.settings.base_url,
            token=lambda: self.settings.access_token.get_secret_value(),
            secrets=self._secrets,
            client=client,
            timeout=self.settings.timeout_seconds,
        )
        self.upload = ResumableUpload(self.api, chunk_bytes=self.settings.chunk_bytes)

    def _secrets(self) -> list[str | None]:
        """Every credential in use now, and the upload session (its URL lets anyone upload)."""
        found: list[str | None] = []
        session = self.upload.url
        if session:
            found.append(session)
            found.append(httpx.URL(session).params.get("upload_id"))
        return found + self.secret_values()

    # --- publish ---------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        video = the_video(request.media, platform="YouTube")
        resource = self._resource(request)
        steps = Steps(request)
        made = steps.get("video_id")
        if isinstance(made, str):
            return _result(made)
        file = self._load(video)
        size = len(file.data)
        session, offset = self.upload.saved(steps, size)
        if isinstance(offset, dict):
            return self._made(steps, offset)
        if session is None:
            session, offset = self.upload.open(steps, resource, file), 0
        return self._made(steps, self.upload.send(steps, session, file, offset))

    def _made(self, steps: Steps, video: Mapping[str, Any]) -> PublishResult:
        """Record the new video's id; a video YouTube rejected outright is ``Permanent``."""
        video_id = video.get("id")
        if not isinstance(video_id, str) or not video_id:
            raise Unknown("YouTube finished the upload but named no video; check the channel")
        steps.save(video_id=video_id, upload_url=None)
        status = video.get("status")
        if isinstance(status, dict) and status.get("uploadStatus") in ("rejected", "failed"):
            why = status.get("rejectionReason") or status.get("failureReason") or "no reason given"
            raise Permanent(f"YouTube {status['uploadStatus']} video {video_id}: {why}")
        return _result(video_id)

    # --- lookup ----------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Whether this delivery's video is on YouTube.

        - A saved video id: ``videos.list?id=…`` confirms it (certain).
        - A saved upload session: the session itself says (certain): it answers with the video
          once the last byte arrived, else with the bytes it has (``None``: the video does not
          exist yet, and ``publish`` continues that same upload).
        - Nothing saved: certain ``None``. The bytes go only to a session URL that was saved
          before the first one left, so without it no video can have been made.
        - The session gone after every byte was sent (it expired before we asked): the channel's
          newest uploads (``search.list?forMine=true&type=video``) are searched for the title
          since the first send. A match is returned; no match cannot prove absence (the search
          index lags), so that raises ``Permanent`` for a person to check YouTube Studio.
        """
        steps = Steps(request)
        made = steps.get("video_id")
        if isinstance(made, str):
            return self._confirm(made)
        session = steps.get("upload_url")
        if not isinstance(session, str):
            return None
        where = self.upload.where(session, int(steps.get("video_size") or 0))
        if isinstance(where, dict):
            return self._made(steps, where)
        if where is None and steps.get("completing"):
            title, _ = split_title(request.text)
            return self._searched(title, since=steps.first_sent_at())
        return None

    def _confirm(self, video_id: str) -> PublishResult:
        response = self.api.request(
            "GET", "/youtube/v3/videos", creates=False, params={"id": video_id, "part": "id"}
        )
        items = response.json().get("items")
        if not items:
            raise Permanent(
                f"video {video_id} was uploaded for this delivery but is no longer on YouTube; "
                "someone removed it: decide by hand whether to send it again"
            )
        return _result(video_id)

    def _searched(self, title: str, *, since: datetime | None) -> PublishResult:
        response = self.api.request(
            "GET",
            "/youtube/v3/search",
            creates=False,
            params={
                "forMine": "true",
                "type": "video",
                "part": "snippet",
                "order": "date",
                "maxResults": str(SEARCH_PAGE_SIZE),
            },
        )
        start = since - CLOCK_SKEW if since else None
        for item in response.json().get("items") or []:
            snippet, ident = item.get("snippet") or {}, item.get("id") or {}
            published = _timestamp(snippet.get("publishedAt"))
            if start is not None and (published is None or published < start):
                continue
            if snippet.get("title") == title and ident.get("videoId"):
                return _result(str(ident["videoId"]))
        raise Permanent(
            "YouTube lost the upload session after the last bytes were sent and its search does "
            "not show the video (the index lags): check YouTube Studio, then mark the delivery "
            "published or send it again"
        )

    # --- tokens ----------------------------------------------------------------------------

    def prepare(self, now: datetime) -> None:
        """Refresh the access token when it expires within ``REFRESH_MARGIN``."""
        refresh_ahead(self, now, margin=REFRESH_MARGIN, platform="YouTube", grant=self._refresh)

    def _refresh(self) -> dict[str, Any]:
        config = self.settings
        assert config.refresh_token is not None  # refresh_ahead only asks when there is one
        assert config.client_secret is not None  # the settings insist on it with a refresh token
        return self.api.refresh(
            token_url=config.token_url,
            client_id=config.client_id or "",
            client_secret=config.client_secret.get_secret_value(),
            refresh_token=config.refresh_token.get_secret_value(),
        )

    # --- pieces ----------------------------------------------------------------------------

    def _resource(self, request: PublishRequest) -> dict[str, Any]:
        """The video resource: title and description from the text, status from the account."""
        try:
            shape(self.rules, request.text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None
        title, description = split_title(request.text)
        status: dict[str, Any] = {
            "privacyStatus": self.settings.privacy_status,
            "selfDeclaredMadeForKids": self.settings.made_for_kids,
        }
        publish_at = _publish_at(request.metadata.get("publish_at"))
        if publish_at is not None:
            status.update(privacyStatus="private", publishAt=publish_at)
        return {
            "snippet": {
                "title": title,
                "description": description,
                "tags": tags(request.text),
                "categoryId": self.settings.category_id,
            },
            "status": status,
        }

    def _load(self, video: Media) -> MediaFile:
        return load_media(video, client=self._client, timeout=self.settings.timeout_seconds)

    def close(self) -> None:
        self.api.close()


def tags(text: str) -> list[str]:
    """The text's hashtags, without ``#``, once each, as many as fit YouTube's 500 characters."""
    found: list[str] = []
    seen: set[str] = set()
    used = 0
    for tag in (entity.value for entity in extract_hashtags(text)):
        cost = len(tag) + (1 if found else 0)  # a comma between tags counts
        if tag.casefold() in seen or used + cost > TAGS_MAX_CHARACTERS:
            continue
        seen.add(tag.casefold())
        found.append(tag)
        used += cost
    return found


def _result(video_id: str) -> PublishResult:
    return PublishResult(external_id=video_id, url=f"https://www.youtube.com/watch?v={video_id}")


def _publish_at(value: Any) -> str | None:
    """A delivery's ``publish_at`` (datetime or ISO 8601) as RFC 3339 UTC; ``None`` if absent."""
    when = value if isinstance(value, datetime) else _timestamp(value)
    if when is None:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
