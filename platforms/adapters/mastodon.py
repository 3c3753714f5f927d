"""Mastodon: ``POST /api/v1/statuses`` on the account's own server, with an ``Idempotency-Key``.

The flow, per delivery:

1. ``GET /api/v2/instance`` once per adapter: the server's character limit
   (``configuration.statuses.max_characters``, 500 by default but many servers allow more) and
   how many attachments a status takes. The text is shaped with that limit (``platforms.text``):
   one status, or a numbered thread when it is longer.
2. Each image or video is uploaded with ``POST /api/v2/media`` (``file``, ``description`` = alt
   text). Images are ready at once (200); videos answer 202 and are processed in the background,
   so ``GET /api/v1/media/:id`` is polled until it answers 200 instead of 206. Each media id is
   saved to the delivery's progress as soon as it exists, so a retry attaches it instead of
   uploading again; an upload whose answer was lost is merely an orphan (Mastodon removes
   unattached media after a day), so upload failures are ``Transient``, never ``Unknown``.
3. Each part goes out with ``POST /api/v1/statuses`` (``status``, ``visibility``,
   ``media_ids`` on the first part, ``in_reply_to_id`` = the previous part), carrying an
   ``Idempotency-Key`` derived from the delivery's key. Each posted part is saved to progress.

Why a retry is safe: Mastodon remembers an ``Idempotency-Key`` per account for an hour and
answers a repeat with the status it already made. So ``idempotent`` is set. After that hour the
key is forgotten; that is what ``lookup`` is for. Lookup does *not* re-send the status (which
would create it when absent); it reads the account's own recent statuses (``mastodon_lookup``).

Mastodon access tokens do not expire and there is no refresh flow to run; a revoked token is a
401, ``AuthExpired``. Rate limits come as 429 with ``X-RateLimit-Reset`` (ISO 8601).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr

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
)
from platforms.adapters.http import PlatformHTTP, as_mapping, json_object
from platforms.adapters.mastodon_lookup import LOOKUP_DEFAULT_WINDOW, AccountStatuses
from platforms.adapters.media import load_media
from platforms.adapters.steps import mark_sent, sent_at
from platforms.text import RULES, CannotPublish, TextRules, shape

#: Mastodon's ``Status::MEDIA_ATTACHMENTS_LIMIT``: 4, unless the instance says otherwise.
DEFAULT_MAX_MEDIA_ATTACHMENTS = 4
#: Ours: how often an uploaded video's processing is polled, and for how long in all.
MEDIA_POLL_SECONDS = 1.0
MEDIA_WAIT_SECONDS = 120.0


class MastodonSettings(AdapterSettings):
    """One Mastodon account: its server, an access token with ``write:statuses write:media``."""

    base_url: HttpURL = Field(
        description="The account's server (https://mastodon.social): Mastodon has no single "
        "API host."
    )
    access_token: SecretStr = Field(
        description="An access token with the write:statuses and write:media scopes "
        "(Preferences → Development → New application)."
    )
    # ``direct`` is left out on purpose: a BTS post is never a private message.
    visibility: Literal["public", "unlisted", "private"] = Field(
        default="public", description="Who sees the posts."
    )
    language: str | None = Field(
        default=None,
        min_length=2,
        max_length=3,
        description="ISO 639 code of the posts' language, for readers' filters; empty lets "
        "Mastodon guess.",
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="Seconds to wait for the server to answer."
    )
    media_poll_seconds: float = Field(
        default=MEDIA_POLL_SECONDS,
        gt=0,
        le=30,
        description="Seconds between checks that an uploaded video has been processed.",
    )
    media_wait_seconds: float = Field(
        default=MEDIA_WAIT_SECONDS,
        gt=0,
        le=600,
        description="Seconds to wait in all for a video's processing before trying later.",
    )


@dataclass(frozen=True)
class Instance:
    """What the server announces about itself (``GET /api/v2/instance``)."""

    max_characters: int
    max_media_attachments: int


class MastodonAdapter(Adapter[MastodonSettings]):
    name: ClassVar[str] = "mastodon"
    label: ClassVar[str] = "Mastodon"
    settings_model: ClassVar[type[AdapterSettings]] = MastodonSettings
    rules: ClassVar[TextRules] = RULES["mastodon"]
    idempotent: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.http = PlatformHTTP(
            platform="Mastodon",
            base_url=self.settings.base_url,
            client=client,
            timeout=self.settings.timeout_seconds,
            secrets=lambda: (self.settings.access_token.get_secret_value(),),
        )
        self._instance: Instance | None = None
        self.statuses = AccountStatuses(self.http, self._auth)

    # --- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        parts = self._parts(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return _result(posted)
        media_ids = [] if posted else self._upload_all(request)
        for index in range(len(posted), len(parts)):
            mark_sent(request)
            status = self._post_status(
                parts[index],
                key=part_key(request.idempotency_key, index),
                reply_to=posted[-1]["id"] if posted else None,
                media_ids=media_ids if index == 0 else [],
            )
            posted.append({"id": str(status["id"]), "url": status.get("url")})
            request.progress.save(key=request.idempotency_key, statuses=list(posted))
        return _result(posted)

    def _parts(self, text: str) -> list[str]:
        """The statuses to post, shaped with this server's own limit."""
        rules = self.rules.with_limit(self.instance().max_characters)
        try:
            return shape(rules, text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None

    def _post_status(
        self, text: str, *, key: str, reply_to: str | None, media_ids: Sequence[str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"status": text, "visibility": self.settings.visibility}
        if reply_to is not None:
            body["in_reply_to_id"] = reply_to
        if media_ids:
            body["media_ids"] = list(media_ids)
        if self.settings.language:
            body["language"] = self.settings.language
        response = self.http.request(
            "POST",
            "/api/v1/statuses",
            creates=True,
            headers={**self._auth(), "Idempotency-Key": key},
            json=body,
        )
        status = json_object(response)
        if "id" not in status:
            raise Unknown("Mastodon accepted the status but its answer named no id")
        return status

    # --- media -----------------------------------------------------------------------------

    def _upload_all(self, request: PublishRequest) -> list[str]:
        """Every medium's id, ready to attach: reused from progress, else uploaded now."""
        media = list(request.media)
        if not media:
            return []
        limit = self.instance().max_media_attachments
        if len(media) > limit:
            raise Permanent(
                f"Mastodon takes at most {limit} attachments; this post has {len(media)}"
            )
        if len(media) > 1 and any(m.kind == "video" for m in media):
            raise Permanent("Mastodon takes one video alone, not with other images or videos")
        saved = dict(as_mapping(request.progress.state.get("media")))
        if request.progress.state.get("key") != request.idempotency_key:
            saved = {}
        ids = []
        for index, medium in enumerate(media):
            media_id = saved.get(str(index))
            if not (isinstance(media_id, str) and self._wait_until_processed(media_id)):
                media_id = self._upload(medium)
                saved[str(index)] = media_id
                request.progress.save(key=request.idempotency_key, media=dict(saved))
                self._wait_until_processed(media_id, must_exist=True)
            ids.append(media_id)
        return ids

    def _upload(self, medium: Media) -> str:
        loaded = load_media(
            medium, client=self.http.given_client, timeout=self.settings.timeout_seconds
        )
        data = {"description": medium.alt} if medium.alt else {}
        response = self.http.request(
            "POST",
            "/api/v2/media",
            creates=False,  # an unattached upload is invisible and cleaned up by the server
            headers=self._auth(),
            files={"file": (loaded.filename, loaded.data, loaded.content_type)},
            data=data,
        )
        attachment = json_object(response)
        if "id" not in attachment:
            raise Transient("Mastodon accepted the upload but its answer named no id")
        return str(attachment["id"])

    def _wait_until_processed(self, media_id: str, *, must_exist: bool = False) -> bool:
        """Poll until the server has processed the upload; ``False`` if it no longer exists."""
        deadline = time.monotonic() + self.settings.media_wait_seconds
        while True:
            response = self.http.request(
                "GET",
                f"/api/v1/media/{media_id}",
                creates=False,
                check=False,
                headers=self._auth(),
            )
            if response.status_code == 404 and not must_exist:
                return False  # purged since an earlier attempt uploaded it: upload again
            self.http.check(response, creates=False)
            if response.status_code == 200:
                return True
            if time.monotonic() >= deadline:
                raise Transient(
                    f"Mastodon is still processing media {media_id} after "
                    f"{self.settings.media_wait_seconds:.0f}s; it will be attached on retry"
                )
            time.sleep(self.settings.media_poll_seconds)

    # --- lookup ----------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's status if the account already has it, by reading its own statuses.

        Certain within the window ``mastodon_lookup`` reads (from the first send on); a window
        too long to read is ``Permanent``, for a person. A thread found in part is saved to
        progress and reported as absent, so the next publish posts only the missing parts.
        """
        parts = self._parts(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return _result(posted)
        found = self.statuses.thread(parts, since=sent_at(request, window=LOOKUP_DEFAULT_WINDOW))
        if not found:
            return None
        request.progress.save(key=request.idempotency_key, statuses=found)
        return _result(found) if len(found) == len(parts) else None

    # --- plumbing --------------------------------------------------------------------------

    def instance(self) -> Instance:
        """The server's limits, read once per adapter (they change with a server upgrade)."""
        if self._instance is None:
            response = self.http.request("GET", "/api/v2/instance", creates=False, check=False)
            if response.status_code == 404:  # servers before 4.0: Mastodon's defaults
                self._instance = Instance(RULES["mastodon"].limit, DEFAULT_MAX_MEDIA_ATTACHMENTS)
            else:
                self.http.check(response, creates=False)
                statuses = as_mapping(
                    as_mapping(json_object(response).get("configuration")).get("statuses")
                )
                self._instance = Instance(
                    max_characters=_positive(
                        statuses.get("max_characters"), RULES["mastodon"].limit
                    ),
                    max_media_attachments=_positive(
                        statuses.get("max_media_attachments"), DEFAULT_MAX_MEDIA_ATTACHMENTS
                    ),
                )
        return self._instance

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.access_token.get_secret_value()}"}

    def close(self) -> None:
        self.http.close()


def part_key(idempotency_key: str, index: int) -> str:
    """The ``Idempotency-Key`` of part ``index`` (0-based): the delivery's own for the first."""
    return idempotency_key if index == 0 else f"{idempotency_key}-part-{index + 1}"


def _posted(request: PublishRequest) -> list[dict[str, Any]]:
    """The parts already posted for this delivery, from progress saved under the same key.

    Progress saved under another key means the text changed after parts went out: posting the
    new text would leave two half-threads, so a person decides.
    """
    state = request.progress.state
    statuses = state.get("statuses")
    if not isinstance(statuses, list) or not statuses:
        return []
    if state.get("key") != request.idempotency_key:
        raise Permanent(
            f"{len(statuses)} status(es) of an earlier version of this post are already on "
            "Mastodon; delete them or mark the delivery published before sending the new text"
        )
    return [dict(s) for s in statuses if isinstance(s, Mapping) and "id" in s]


def _result(posted: Sequence[Mapping[str, Any]]) -> PublishResult:
    first = posted[0]
    url = first.get("url")
    return PublishResult(external_id=str(first["id"]), url=url if isinstance(url, str) else None)


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default
