"""TikTok: Content Posting API v2, Direct Post of one video with its caption.

The flow, per delivery (developers.tiktok.com, "Content Posting API", Direct Post):

1. ``POST /v2/post/publish/creator_info/query/``: the creator's privacy options, whether they
   turned comments, duets or stitches off, and the longest video they may post. TikTok requires
   asking first and honouring the answer: the account's ``privacy_level`` must be one of the
   creator's options (else ``Permanent`` before anything is sent), a feature the creator turned
   off is sent disabled, and a video longer than allowed is refused here, not after an upload.
2. ``POST /v2/post/publish/video/init/`` with ``post_info`` (``title`` is the caption, shaped by
   the TikTok rules of ``platforms.text``) and ``source_info``: ``FILE_UPLOAD`` (the default: we
   send the bytes) or ``PULL_FROM_URL`` (TikTok fetches an https URL on a domain verified for
   the app). The ``publish_id`` (and ``upload_url``) are saved to progress at once.
3. ``FILE_UPLOAD`` only: ``PUT`` each chunk to ``upload_url`` with ``Content-Range``.
4. ``POST /v2/post/publish/status/fetch/`` until ``PUBLISH_COMPLETE``; ``FAILED`` is
   ``Permanent`` with TikTok's ``fail_reason``.

Unaudited apps may post only ``SELF_ONLY`` (TikTok's Direct Post guidelines): that is the default
privacy level, and an audited app's account may choose another. A video is required.

Why a retry never posts twice: with a ``publish_id`` saved, a retry asks TikTok where that
publish stands instead of initialising another; it finishes an interrupted upload from the byte
TikTok reports (``uploaded_bytes``), or keeps polling. A ``FILE_UPLOAD`` init whose answer was
lost cannot have published anything, since the video never left: that is ``Transient`` and safe
to repeat (the orphaned upload session expires unused). A ``PULL_FROM_URL`` init whose answer
was lost may well publish (TikTok fetches the video itself): ``Unknown``, see ``lookup``. Once
the video may be on its way (pulled, or its last chunk sent), a status TikTok does not give is
``Unknown`` too, so the delivery is looked up rather than retried until it is marked failed.

Errors are mapped in ``tiktok_api`` (errors can arrive as HTTP 200); the ``FILE_UPLOAD`` chunks
are cut and sent by ``tiktok_upload``; ``lookup`` is ``tiktok_lookup``. Tokens: access tokens
live 24 hours; ``prepare`` refreshes within ``REFRESH_MARGIN`` of expiry (``oauth``), keeping
the old refresh token if no new one comes back.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr, model_validator

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    HttpURL,
    Media,
    Permanent,
    PublishRequest,
    PublishResult,
    Transient,
    Unknown,
    UTCTime,
)
from platforms.adapters.media import MediaFile, load_media
from platforms.adapters.oauth import refresh_ahead
from platforms.adapters.steps import Steps
from platforms.adapters.tiktok_api import (
    API_HOST,
    COMPLETE,
    FAILED,
    Creator,
    TikTokAPI,
    int_or_zero,
    result_of,
)
from platforms.adapters.tiktok_lookup import published
from platforms.adapters.tiktok_upload import (
    DEFAULT_CHUNK_BYTES,
    MAX_CHUNK_BYTES,
    MIN_CHUNK_BYTES,
    Upload,
    saved_upload,
    send_chunks,
    source_info,
    upload_of,
)
from platforms.adapters.video import mp4_duration, the_video
from platforms.text import RULES, CannotPublish, TextRules, shape

#: Ours: refresh an access token (24 h lifetime) when it expires within this margin.
REFRESH_MARGIN = timedelta(minutes=5)
#: Ours: Get Post Status says processing takes under half a minute for 512 MB; poll every 3 s
#: (20 of the 30 status requests a minute allows) for up to two minutes per attempt.
DEFAULT_POLL_SECONDS = 3.0
DEFAULT_PUBLISH_WAIT_SECONDS = 120.0
#: The progress of a publish that is over (failed, or its upload expired): a retry starts anew.
_FORGET: dict[str, Any] = {"publish_id": None, "upload_url": None, "completing": None}

PrivacyLevel = Literal[
    "PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"
]
Source = Literal["FILE_UPLOAD", "PULL_FROM_URL"]


class TikTokSettings(AdapterSettings):
    """One TikTok creator: Login Kit tokens (``video.publish``; ``video.list`` for lookups)."""

    base_url: HttpURL = Field(default=API_HOST, description="TikTok's Open API host.")
    access_token: SecretStr = Field(
        description="A Login Kit user access token with video.publish (and video.list for lookups)."
    )
    refresh_token: SecretStr | None = Field(
        default=None, description="Renews the access token, which lasts 24 hours (needs the app)."
    )
    token_expires_at: UTCTime | None = Field(
        default=None, description="When the access token expires; a refresh is due before then."
    )
    client_key: str | None = Field(
        default=None, description="The TikTok app's client key, needed to refresh the token."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="The TikTok app's client secret, needed to refresh the token."
    )
    privacy_level: PrivacyLevel = Field(
        default="SELF_ONLY",
        description="Who sees the videos; an unaudited app may only post SELF_ONLY.",
    )
    disable_comment: bool = Field(default=False, description="Turn comments off on the videos.")
    disable_duet: bool = Field(default=False, description="Stop others from making Duets.")
    disable_stitch: bool = Field(default=False, description="Stop others from making Stitches.")
    promotes_own_business: bool = Field(
        default=False,
        description="Content disclosure (brand_organic_toggle): the videos promote the "
        "creator's own business, as a production's own account usually does.",
    )
    video_source: Source = Field(
        default="FILE_UPLOAD",
        description="FILE_UPLOAD sends the video; PULL_FROM_URL has TikTok fetch it (the "
        "media's domain must be verified with TikTok).",
    )
    chunk_bytes: int = Field(
        default=DEFAULT_CHUNK_BYTES,
        ge=MIN_CHUNK_BYTES,
        le=MAX_CHUNK_BYTES,
        description="Bytes per chunk of a video upload (5 to 64 MB).",
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, le=300, description="Seconds to wait for TikTok to answer."
    )
    poll_seconds: float = Field(
        default=DEFAULT_POLL_SECONDS,
        gt=0,
        le=60,
        description="Seconds between checks of a video's publish status.",
    )
    publish_wait_seconds: float = Field(
        default=DEFAULT_PUBLISH_WAIT_SECONDS,
        gt=0,
        le=1800,
        description="Seconds to wait in all for a video to be published before trying later.",
    )

    @model_validator(mode="after")
    def _refresh_needs_the_app(self) -> TikTokSettings:
        if self.refresh_token is not None and not (self.client_key and self.client_secret):
            raise ValueError("a refresh_token needs the app's client_key and client_secret")
        return self


class TikTokAdapter(Adapter[TikTokSettings]):
    name: ClassVar[str] = "tiktok"
    label: ClassVar[str] = "TikTok"
    settings_model: ClassVar[type[AdapterSettings]] = TikTokSettings
    rules: ClassVar[TextRules] = RULES["tiktok"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self._upload_url: str | None = None
        self.api = TikTokAPI(
            base_url=self.settings.base_url,
            token=lambda: self.settings.access_token.get_secret_value(),
            secrets=self._secrets,
            client=client,
            timeout=self.settings.timeout_seconds,
        )

    def _secrets(self) -> list[str | None]:
        """Every credential in use now, and the upload URL (it carries an upload token)."""
        found: list[str | None] = []
        if self._upload_url:
            found.append(self._upload_url)
            found += [value for _, value in httpx.URL(self._upload_url).params.multi_items()]
        return found + self.secret_values()

    # --- publish ---------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        video = the_video(request.media, platform="TikTok")
        try:
            [caption] = shape(self.rules, request.text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None
        steps = Steps(request)
        publish_id = steps.get("publish_id")
        if isinstance(publish_id, str):
            resumed = self._resume(steps, publish_id, video)
            if resumed is not None:
                return resumed
        return self._start(steps, caption, video)

    def _start(self, steps: Steps, caption: str, video: Media) -> PublishResult:
        creator = self.api.creator()
        privacy = self.settings.privacy_level
        if privacy not in creator.privacy_options:
            raise Permanent(
                f"TikTok does not let @{creator.username} post with privacy {privacy}; the "
                f"creator allows {', '.join(creator.privacy_options) or 'none'}. Change the "
                "account's privacy_level (an unaudited app may post only SELF_ONLY)"
            )
        source = self._source(video)
        file = self._load(video) if source == "FILE_UPLOAD" else None
        if file is not None:
            _check_duration(file, creator)
        info = source_info(video, file, self.settings.chunk_bytes)
        body = {"post_info": self._post_info(caption, creator), "source_info": info}
        # Recorded before sending: a lookup must know an init may have gone out, and how.
        steps.save(source=source, creator=creator.username, failed_publish_id=None, completing=None)
        steps.sending()
        try:
            data = self.api.call("/v2/post/publish/video/init/", body, creates=True)
        except (Unknown, Transient) as exc:
            if file is not None:
                raise Transient(
                    f"{exc.message}; no video was uploaded, so nothing can have been posted"
                ) from None
            raise
        publish_id = data.get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            raise Unknown("TikTok accepted the post but sent no publish_id; check the account")
        if file is None:
            steps.save(publish_id=publish_id)
            return self._await(steps, publish_id)
        upload = upload_of(data, info)
        self._upload_url = upload.url
        steps.save(
            publish_id=publish_id,
            upload_url=upload.url,
            video_size=upload.video_size,
            chunk_size=upload.chunk_size,
            chunk_count=upload.chunk_count,
        )
        self._send(steps, publish_id, upload, file, start=0)
        return self._await(steps, publish_id)

    def _resume(self, steps: Steps, publish_id: str, video: Media) -> PublishResult | None:
        """Carry on with a saved publish; ``None`` when it has to start over."""
        status = self._status(steps, publish_id)
        upload = saved_upload(steps)
        uploaded = int_or_zero(status.get("uploaded_bytes"))
        unfinished = upload is not None and uploaded < upload.video_size
        if status.get("status") == FAILED and unfinished:
            # The upload never completed (it expired): nothing was published; start over.
            steps.save(**_FORGET, failed_publish_id=publish_id)
            return None
        if upload is None or not unfinished or status.get("status") == COMPLETE:
            return self._await(steps, publish_id, status)
        file = self._load(video)
        if len(file.data) != upload.video_size:
            raise Permanent("the video changed since its upload to TikTok began")
        self._upload_url = upload.url
        self._send(steps, publish_id, upload, file, start=uploaded)
        return self._await(steps, publish_id)

    def _send(
        self, steps: Steps, publish_id: str, upload: Upload, file: MediaFile, *, start: int
    ) -> None:
        """The chunks from byte ``start`` on (``tiktok_upload``); a lost answer asks the status."""
        send_chunks(
            self.api.http,
            steps,
            upload,
            file,
            start=start,
            uploaded=lambda: int_or_zero(self._status(steps, publish_id).get("uploaded_bytes")),
        )

    def _await(
        self, steps: Steps, publish_id: str, status: Mapping[str, Any] | None = None
    ) -> PublishResult:
        """Poll the publish until it completes or fails, up to ``publish_wait_seconds``."""
        deadline = time.monotonic() + self.settings.publish_wait_seconds
        while True:
            if status is None:
                status = self._status(steps, publish_id)
            state = status.get("status")
            if state == COMPLETE:
                return result_of(status, publish_id, creator=steps.get("creator"))
            if state == FAILED:
                steps.save(**_FORGET, failed_publish_id=publish_id)
                reason = status.get("fail_reason") or "no reason given"
                raise Permanent(f"TikTok could not publish the video: {reason}")
            if time.monotonic() >= deadline:
                raise Unknown(
                    f"TikTok is still processing the video ({state}) after "
                    f"{self.settings.publish_wait_seconds:.0f}s; its publish id is saved, so the "
                    "next attempt asks TikTok instead of posting again"
                )
            time.sleep(self.settings.poll_seconds)
            status = None

    def _status(self, steps: Steps, publish_id: str) -> dict[str, Any]:
        """Get Post Status while publishing: unanswered, it is ``Unknown`` once the video may be
        on its way (pulled, or its last chunk sent), so the delivery is looked up, never failed
        for want of an answer; before that, ``Transient``."""
        try:
            return self.api.status(publish_id)
        except Transient as exc:
            if steps.get("source") == "PULL_FROM_URL" or steps.get("completing"):
                raise Unknown(
                    f"{exc.message}; the video may be published: its publish id is saved and "
                    "Callsheet asks TikTok before sending anything again"
                ) from None
            raise

    # --- lookup and tokens ------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Whether this delivery is on TikTok, as surely as TikTok lets us tell (see
        ``tiktok_lookup``)."""
        return published(self.api, request)

    def prepare(self, now: datetime) -> None:
        """Refresh the access token when it expires within ``REFRESH_MARGIN``."""
        refresh_ahead(self, now, margin=REFRESH_MARGIN, platform="TikTok", grant=self._refresh)

    def _refresh(self) -> dict[str, Any]:
        config = self.settings
        assert config.refresh_token is not None  # refresh_ahead only asks when there is one
        assert config.client_secret is not None  # the settings insist on it with a refresh token
        return self.api.refresh(
            client_key=config.client_key or "",
            client_secret=config.client_secret.get_secret_value(),
            refresh_token=config.refresh_token.get_secret_value(),
        )

    # --- pieces ----------------------------------------------------------------------------

    def _post_info(self, caption: str, creator: Creator) -> dict[str, Any]:
        config = self.settings
        return {
            "title": caption,
            "privacy_level": config.privacy_level,
            "disable_comment": config.disable_comment or creator.comment_disabled,
            "disable_duet": config.disable_duet or creator.duet_disabled,
            "disable_stitch": config.disable_stitch or creator.stitch_disabled,
            "brand_content_toggle": False,
            "brand_organic_toggle": config.promotes_own_business,
        }

    def _source(self, video: Media) -> Source:
        """``PULL_FROM_URL`` when the account asks for it and the video has an https URL."""
        pullable = urlsplit(video.url).scheme == "https"
        wanted = self.settings.video_source == "PULL_FROM_URL"
        return "PULL_FROM_URL" if wanted and pullable else "FILE_UPLOAD"

    def _load(self, video: Media) -> MediaFile:
        return load_media(video, client=self._client, timeout=self.settings.timeout_seconds)

    def close(self) -> None:
        self.api.close()


def _check_duration(file: MediaFile, creator: Creator) -> None:
    duration = mp4_duration(file.data)
    limit = creator.max_duration
    if duration is not None and limit is not None and duration > limit:
        raise Permanent(
            f"the video is {duration:.0f}s long; TikTok lets @{creator.username} post at most "
            f"{limit:.0f}s"
        )
