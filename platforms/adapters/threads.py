"""Threads (``graph.threads.net``): posts, with long text published as a chain of replies.

A text over 500 characters is shaped by ``platforms.text.shape`` into numbered parts: the first is
the post (with the media), each next part replies to the one before (``reply_to_id``). Every
part goes through Meta's two steps:

1. ``POST /{user-id}/threads`` makes a container: ``media_type`` ``TEXT``, ``IMAGE``
   (``image_url``, ``alt_text``), ``VIDEO`` (``video_url``, ``alt_text``) or ``CAROUSEL`` of
   ``is_carousel_item`` children (up to 20), with ``text`` and, for a reply, ``reply_to_id``.
2. ``GET /{container-id}?fields=status,error_message`` until ``FINISHED`` (the first check at
   once, then every ``poll_interval_seconds``; Meta suggests about 30 s for media to process),
   then ``POST /{user-id}/threads_publish`` with ``creation_id`` → ``{"id"}``.

Before anything, ``GET /{user-id}/threads_publishing_limit`` (250 posts and 1,000 replies per
24 h): when the thread would not fit, ``RateLimited`` before any part goes out, since half a
thread is worse than a late one.

Progress: ``parts`` (the ids published, in order), and the container of the part in flight
(``container``, ``container_part``), plus carousel ``children``. A retry continues after the
last part out; a container found ``PUBLISHED`` is never published again. Containers are
invisible, so losing their answer is ``Transient``; losing a publish answer is ``Unknown``.

``lookup`` walks the thread: the first part among the account's posts (``/{user-id}/threads``),
each next one among its replies (``/{user-id}/replies``) replying to the part before, matched on
the exact text after normalisation, from the first send on. A saved container not
``PUBLISHED`` proves its part absent. The whole thread found: the result. Found in part: the
parts found are saved to progress and ``None`` is returned, so the next publish posts only the
missing parts. A post without text, or a window too long to read, cannot be judged
(``Permanent``, for a person).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from pydantic import Field

from platforms.adapters.base import (
    Media,
    Permanent,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.meta import THREADS_BASE_URL
from platforms.adapters.meta_adapter import MetaAdapter, MetaSettings, created_id
from platforms.adapters.meta_lookup import (
    LOOKUP_SKEW,
    LOOKUP_WINDOW,
    find_post,
    quota_wait_at,
    usage_exhausted,
)
from platforms.adapters.steps import Steps
from platforms.text import RULES, CannotPublish, TextRules, shape

#: Meta ("Threads API: publishing"): wait on average 30 seconds before publishing a container.
POLL_INTERVAL = 30.0
MAX_POLLS = 5
#: Threads API: a carousel holds up to 20 images and videos.
CAROUSEL_MAX = 20
POST_FIELDS = "id,text,timestamp,permalink"
REPLY_FIELDS = "id,text,timestamp,permalink,replied_to"
LIMIT_FIELDS = "quota_usage,config,reply_quota_usage,reply_config"
FINISHED, PUBLISHED = "FINISHED", "PUBLISHED"


class ThreadsSettings(MetaSettings):
    """A Threads profile: a Threads user access token (``threads_content_publish``)."""

    base_url: str = Field(
        default=THREADS_BASE_URL,
        description="The Threads API, with its version; a newer version needs no release.",
    )
    user_id: str = Field(
        default="me",
        pattern=r"^(me|[0-9]+)$",
        description="The Threads user id to post as; me is the token's own profile.",
    )
    poll_interval_seconds: float = Field(
        default=POLL_INTERVAL,
        ge=0,
        le=600,
        description="Seconds between checks that an uploaded media container is ready.",
    )
    max_polls: int = Field(
        default=MAX_POLLS,
        ge=1,
        le=60,
        description="Checks of a media container before the publish is tried again later.",
    )


class ThreadsAdapter(MetaAdapter[ThreadsSettings]):
    name: ClassVar[str] = "threads"
    label: ClassVar[str] = "Threads"
    settings_model: ClassVar[type[ThreadsSettings]] = ThreadsSettings
    rules: ClassVar[TextRules] = RULES["threads"]
    can_lookup: ClassVar[bool] = True

    def publish(self, request: PublishRequest) -> PublishResult:
        parts = self._parts(request)
        media = list(request.media)
        if not parts[0].strip() and not media:
            raise Permanent("there is nothing to post: no text and no media")
        if len(media) > CAROUSEL_MAX:
            raise Permanent(f"a Threads carousel takes at most {CAROUSEL_MAX} images and videos")
        steps = Steps(request)
        posted = [str(p) for p in steps.get("parts") or []]
        if len(posted) < len(parts):
            self._check_quota(post=not posted, replies=len(parts) - max(len(posted), 1))
        for index in range(len(posted), len(parts)):
            posted.append(self._publish_part(index, parts, posted, media, steps))
            steps.save(parts=posted, container=None, container_part=None)
        return self.permalink(posted[0])

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The thread if it is all out; ``None`` if not (parts found are saved; see above)."""
        parts = self._parts(request)
        steps = Steps(request)
        posted = [str(p) for p in steps.get("parts") or []]
        while len(posted) < len(parts):
            index = len(posted)
            container = steps.get("container")
            in_flight = isinstance(container, str) and steps.get("container_part") == index
            if in_flight and self._status(str(container))[0] != PUBLISHED:
                break  # made, never published: this part is certainly not out
            if not parts[index].strip():
                raise Permanent(
                    "cannot tell whether it went out: a Threads post without text cannot be "
                    "matched; check the account by hand"
                )
            found = self._find_part(index, parts, posted, steps)
            if found is None:
                if in_flight:
                    raise Transient(f"Threads container {container} was published but not listed")
                break
            posted.append(found)
            steps.save(parts=posted, container=None, container_part=None)
        if posted and len(posted) == len(parts):
            return self.permalink(posted[0])
        return None

    def extend_token(self) -> dict[str, Any]:
        """``GET /refresh_access_token?grant_type=th_refresh_token``: a new long-lived token."""
        return self.graph.call(
            "GET",
            "/refresh_access_token",
            creates=False,
            auth=False,
            params={
                "grant_type": "th_refresh_token",
                "access_token": self.settings.access_token.get_secret_value(),
            },
        )

    def _parts(self, request: PublishRequest) -> list[str]:
        try:
            return shape(self.rules, request.text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None

    def _publish_part(
        self, index: int, parts: list[str], posted: list[str], media: list[Media], steps: Steps
    ) -> str:
        """One part out: its container (made, or resumed), checked, then published."""
        container = steps.get("container") if steps.get("container_part") == index else None
        if isinstance(container, str) and self._status(container)[0] == PUBLISHED:
            found = self._find_part(index, parts, posted, steps)
            if found is None:
                raise Unknown(
                    f"Threads container {container} was published but the post is not listed "
                    "yet; look it up before sending again"
                )
            return found
        if not isinstance(container, str):
            parent = posted[-1] if posted else None
            container = self._make_container(
                parts[index], parent, media if index == 0 else [], steps
            )
            steps.save(container=container, container_part=index)
        self._wait_until_finished(container, steps)
        steps.sending()
        body = self.graph.post(
            f"/{self.settings.user_id}/threads_publish", {"creation_id": container}, creates=True
        )
        return created_id(self.label, body, "id")

    def _make_container(
        self, text: str, parent: str | None, media: list[Media], steps: Steps
    ) -> str:
        path = f"/{self.settings.user_id}/threads"
        data: dict[str, Any] = {"text": text or None, "reply_to_id": parent}
        if not media:
            data["media_type"] = "TEXT"
        elif len(media) == 1:
            data.update(_item(media[0]))
        else:
            children = [str(c) for c in steps.get("children") or []]
            for medium in media[len(children) :]:
                body = self.graph.post(
                    path, {**_item(medium), "is_carousel_item": True}, creates=False
                )
                children.append(created_id(self.label, body, "id", creates=False))
                steps.save(children=children)
            for child in children:
                self._wait_until_finished(child, steps)
            data.update(media_type="CAROUSEL", children=",".join(children))
        body = self.graph.post(path, data, creates=False)
        return created_id(self.label, body, "id", creates=False)

    def _status(self, container: str) -> tuple[str, str]:
        body = self.graph.get(f"/{container}", fields="status,error_message")
        return str(body.get("status") or ""), str(body.get("error_message") or "")

    def _wait_until_finished(self, container: str, steps: Steps) -> None:
        """Poll until FINISHED; a failed container is forgotten so a later retry starts over."""
        for poll in range(self.settings.max_polls):
            if poll:
                time.sleep(self.settings.poll_interval_seconds)
            status, error = self._status(container)
            if status in (FINISHED, PUBLISHED):
                return
            if status in ("ERROR", "EXPIRED"):
                steps.save(container=None, container_part=None, children=None)
                why = (
                    "it expired: made over 24 hours ago and never published"
                    if status == "EXPIRED"
                    else error or "processing failed"
                )
                raise Permanent(f"Threads could not publish container {container}: {why}")
        raise Transient(
            f"Threads is still processing container {container} after "
            f"{self.settings.max_polls} checks; the next attempt resumes with it"
        )

    def _find_part(
        self, index: int, parts: list[str], posted: list[str], steps: Steps
    ) -> str | None:
        """Part ``index`` on the account: a post for the first, a reply to the part before."""
        since = steps.search_from(window=LOOKUP_WINDOW, skew=LOOKUP_SKEW)
        user = self.settings.user_id
        if index == 0:
            found = find_post(
                self.graph,
                f"/{user}/threads",
                fields=POST_FIELDS,
                text_field="text",
                time_field="timestamp",
                text=parts[0],
                since=since,
            )
        else:
            parent = posted[index - 1]
            found = find_post(
                self.graph,
                f"/{user}/replies",
                fields=REPLY_FIELDS,
                text_field="text",
                time_field="timestamp",
                text=parts[index],
                since=since,
                also=lambda item: _replies_to(item, parent),
            )
        return None if found is None else str(found["id"])

    def _check_quota(self, *, post: bool, replies: int) -> None:
        body = self.graph.get(
            f"/{self.settings.user_id}/threads_publishing_limit", fields=LIMIT_FIELDS
        )
        data = body.get("data")
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        checks = [("quota_usage", "config", "threads", 1)] if post else []
        if replies > 0:
            checks.append(("reply_quota_usage", "reply_config", "replies", replies))
        for usage, config, edge, needed in checks:
            exhausted, duration = usage_exhausted(entry, usage, config, needed=needed)
            if exhausted:
                listed = f"/{self.settings.user_id}/{edge}"
                wait = quota_wait_at(self.graph, listed, duration=duration)
                raise RateLimited(
                    f"the Threads account has no room for {needed} more {edge.rstrip('s')}"
                    f"{'s' if needed > 1 else ''} in its {duration / 3600:.0f} h quota "
                    f"({entry.get(usage)} used); retry in {wait:.0f}s",
                    retry_after=wait,
                )


def _item(medium: Media) -> dict[str, Any]:
    """An image or a video container's parameters, with its alt text."""
    if medium.kind == "video":
        return {"media_type": "VIDEO", "video_url": medium.url, "alt_text": medium.alt or None}
    return {"media_type": "IMAGE", "image_url": medium.url, "alt_text": medium.alt or None}


def _replies_to(item: dict[str, Any], parent: str) -> bool:
    replied_to = item.get("replied_to")
    return isinstance(replied_to, dict) and str(replied_to.get("id")) == parent
