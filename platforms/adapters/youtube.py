"""YouTube: ``videos.insert`` by resumable upload, one video per delivery.

The flow (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):

1. ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the video
   resource (``snippet``: title, description, tags, categoryId; ``status``: privacyStatus,
   selfDeclaredMadeForKids, publishAt) and ``X-Upload-Content-Length``/``-Type``. The answer's
   ``Location`` is the upload session URL, saved to progress at once. No video exists yet, so a
   lost answer here is ``Transient``: the orphaned session expires unused.
2. ``PUT`` the bytes to the session in chunks (multiples of 256 KiB) with ``Content-Range``;
   YouTube answers ``308 Resume Incomplete`` (``Range: bytes=0-N``) until the last byte, then
   201 with the video resource, whose id is saved to progress.
3. When a ``PUT``'s answer is lost, the session is asked where it stands (``PUT`` with
   ``Content-Range: bytes */TOTAL``): 308 with the bytes it has (the upload continues from
   there) or 201 with the video (it was made: nothing is sent again). A retry starts with that
   same question, so an upload is never restarted and a video never made twice.

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
refreshes at ``token_url`` within ``REFRESH_MARGIN`` of expiry and keeps the refresh token
(Google does not send a new one).
"""

from __future__ import annotations

import logging
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
    RateLimited,
    Transient,
    Unknown,
    UTCTime,
)
from platforms.adapters.media import MediaFile, load_media
from platforms.adapters.steps import Steps
from platforms.adapters.video import the_video
from platforms.adapters.youtube_api import API_HOST, OAUTH_ENDPOINT, YouTubeAPI
from platforms.text import RULES, CannotPublish, TextRules, extract_hashtags, shape, split_title

log = logging.getLogger(__name__)

UPLOAD_PATH = "/upload/youtube/v3/videos"
#: Resumable upload guide: chunks are multiples of 256 KiB (the last excepted); Google's client
#: libraries default to 100 MB, ours is 8 MiB so a lost chunk costs little to send again.
CHUNK_GRANULARITY = 256 * 1024
DEFAULT_CHUNK_BYTES = 32 * CHUNK_GRANULARITY
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

    base_url: HttpURL = API_HOST
    token_url: HttpURL = OAUTH_ENDPOINT
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    token_expires_at: UTCTime | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    privacy_status: Privacy = "private"
    category_id: str = Field(default=DEFAULT_CATEGORY, pattern=r"^\d+$")
    made_for_kids: bool = False
    chunk_bytes: int = Field(default=DEFAULT_CHUNK_BYTES, ge=CHUNK_GRANULARITY)
    timeout_seconds: float = Field(default=60.0, gt=0, le=600)

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
    settings_model: ClassVar[type[AdapterSettings]] = YouTubeSettings
    rules: ClassVar[TextRules] = RULES["youtube"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self._session: str | None = None
        self.api = YouTubeAPI(
            base_url=self.settings.base_url,
            token=lambda: self.settings.access_token.get_secret_value(),
            secrets=self._secrets,
            client=client,
            timeout=self.settings.timeout_seconds,
        )

    def _secrets(self) -> list[str | None]:
        """Every credential in use now, and the upload session (its URL lets anyone upload)."""
        found: list[str | None] = []
        if self._session:
            found.append(self._session)
            found.append(httpx.URL(self._session).params.get("upload_id"))
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
        session, offset = self._saved_session(steps, size)
        if isinstance(offset, dict):
            return self._made(steps, offset)
        if session is None:
            session, offset = self._open_session(steps, resource, file), 0
        return self._made(steps, self._upload(steps, session, file, offset))

    def _saved_session(self, steps: Steps, size: int) -> tuple[str | None, int | dict[str, Any]]:
        """The saved session and where it stands (a byte offset, or the video it made)."""
        session = steps.get("upload_url")
        if not isinstance(session, str):
            return None, 0
        if steps.get("video_size") != size:
            raise Permanent("the video changed since its upload to YouTube began")
        self._session = session
        where = self._asked(steps, session, size)
        if where is None:  # the session expired before the last byte left: start a new one
            steps.save(upload_url=None, completing=None)
            return None, 0
        return session, where

    def _open_session(self, steps: Steps, resource: Mapping[str, Any], file: MediaFile) -> str:
        """Step 1: a resumable session for this video; nothing exists on YouTube yet."""
        headers = {
            "X-Upload-Content-Length": str(len(file.data)),
            "X-Upload-Content-Type": _video_type(file),
        }
        response = self.api.request(
            "POST",
            UPLOAD_PATH,
            creates=False,  # a session is not a video: a lost answer leaves nothing to find
            headers=headers,
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=dict(resource),
        )
        session = str(response.headers.get("location") or "")
        if not session:
            raise Transient("YouTube opened no upload session (no Location); nothing was sent")
        self._session = session
        steps.save(upload_url=session, video_size=len(file.data), completing=None)
        return session

    def _upload(self, steps: Steps, session: str, file: MediaFile, offset: int) -> dict[str, Any]:
        """Step 2: PUT the chunks from ``offset``; the video resource YouTube answers at the end."""
        size, chunk = len(file.data), self.settings.chunk_bytes
        steps.sending()
        while True:
            last = min(offset + chunk, size) - 1
            if last == size - 1:
                # From here the video may exist: an answer we cannot get is Unknown, not Transient.
                steps.save(completing=True)
            headers = {
                "Content-Type": _video_type(file),
                "Content-Range": f"bytes {offset}-{last}/{size}",
            }
            try:
                response = self.api.request(
                    "PUT",
                    session,
                    creates=True,
                    ok=(308,),
                    headers=headers,
                    content=file.data[offset : last + 1],
                )
            except (Unknown, Transient) as lost:
                where = self._asked(steps, session, size)
                if isinstance(where, dict):
                    return where
                if where is None or where <= last:
                    have = 0 if where is None else where
                    raise Transient(
                        f"{lost.message}; YouTube has {have} of {size} bytes and the next "
                        "attempt carries on from what it has"
                    ) from None
                offset = where
                continue
            if response.status_code == 308:
                taken = _received(response)
                if taken <= offset or taken >= size:  # no progress, or all but no video
                    odd = Unknown if steps.get("completing") else Transient
                    raise odd(
                        f"YouTube answered a chunk with 308 and has {taken} of {size} bytes; the "
                        "next attempt asks the session where it stands"
                    )
                offset = taken
                continue
            return _resource_of(response)

    def _where(self, session: str, size: int) -> int | dict[str, Any] | None:
        """Step 3: ask the session: the next byte it wants, the video it made, or ``None`` if
        the session is gone (expired). A read: an answer not given is ``Transient``."""
        response = self.api.request(
            "PUT",
            session,
            creates=False,
            ok=(308, 404, 410),
            headers={"Content-Range": f"bytes */{size}"},
            content=b"",
        )
        if response.status_code in (404, 410):
            return None
        if response.status_code == 308:
            return _received(response)
        return _resource_of(response)

    def _asked(self, steps: Steps, session: str, size: int) -> int | dict[str, Any] | None:
        """``_where`` while publishing: once the last byte has left (``completing``) the video
        may exist, so no answer, or a session gone, is ``Unknown`` (looked up), never
        ``Transient`` (retried until it reads "failed")."""
        try:
            where = self._where(session, size)
        except Transient as exc:
            if steps.get("completing"):
                raise Unknown(
                    f"{exc.message}; every byte was sent and YouTube has not said whether the "
                    "video was made: Callsheet asks the upload session before sending again"
                ) from None
            raise
        if where is None and steps.get("completing"):
            raise Unknown(
                "the upload session is gone after every byte was sent; the video may exist"
            )
        return where

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
        self._session = session
        where = self._where(session, int(steps.get("video_size") or 0))
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
        config = self.settings
        expires = config.token_expires_at
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        if expires is None or config.refresh_token is None or expires - now > REFRESH_MARGIN:
            return
        assert config.client_secret is not None  # the settings insist on it with a refresh token
        try:
            body = self.api.refresh(
                token_url=config.token_url,
                client_id=config.client_id or "",
                client_secret=config.client_secret.get_secret_value(),
                refresh_token=config.refresh_token.get_secret_value(),
            )
        except (Transient, Unknown, RateLimited) as exc:
            if expires > now:  # the old token still works for this publish
                log.warning("could not refresh the YouTube token yet: %s", exc.message)
                return
            raise
        lifetime = body.get("expires_in")
        changes: dict[str, Any] = {
            "access_token": SecretStr(str(body["access_token"])),
            "token_expires_at": (
                now + timedelta(seconds=lifetime) if isinstance(lifetime, int) else None
            ),
        }
        renewed = body.get("refresh_token")
        if isinstance(renewed, str) and renewed:  # Google rarely sends one; else keep ours
            changes["refresh_token"] = SecretStr(renewed)
        self.remember(**changes)

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


def _received(response: httpx.Response) -> int:
    """The next byte a session wants, from a 308's ``Range: bytes=0-N`` (none: from 0)."""
    sent = response.headers.get("range", "")
    _, _, last = sent.partition("-")
    return int(last) + 1 if last.isdigit() else 0


def _resource_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Unknown("YouTube finished the upload but its answer was unreadable")
    return body


def _video_type(file: MediaFile) -> str:
    return file.content_type if file.content_type.startswith("video/") else "video/mp4"


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
