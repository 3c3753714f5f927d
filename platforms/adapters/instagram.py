"""Instagram (Graph API with Facebook Login): feed posts, carousels and reels of a professional
account, by Meta's content publishing flow.

1. ``GET /{ig-user-id}/content_publishing_limit``: an account may publish ``quota_total`` (50)
   posts per rolling ``quota_duration`` (24 h). At the limit: ``RateLimited`` before anything is
   made, waiting until the oldest post of the window leaves it.
2. ``POST /{ig-user-id}/media`` makes a *container* (Instagram fetches the media from its public
   URL): ``image_url``, ``caption``, ``alt_text``; or ``media_type=REELS`` and ``video_url``.
   Several media make a carousel: one container per item (``is_carousel_item``, ``VIDEO`` for a
   video item), then ``media_type=CAROUSEL`` with ``children`` and the caption.
3. ``GET /{container-id}?fields=status_code,status`` until ``FINISHED``: the first check at
   once, then one every ``poll_interval_seconds``, at most ``max_polls`` (Meta: once a minute,
   for no more than five minutes). ``ERROR`` and ``EXPIRED`` are ``Permanent`` (an expired
   container was made over 24 h ago: posting a day late is a person's call); a container still
   processing is ``Transient``, kept for the next attempt to resume with.
4. ``POST /{ig-user-id}/media_publish`` with ``creation_id`` → ``{"id": <media id>}``.

Containers are invisible, so a lost answer while making one is ``Transient``; only
``media_publish`` can make a post, so only there is a lost answer ``Unknown``. Every step is
saved in progress as it succeeds (``children``, ``container``, ``media_id``): a retry never
makes a second container, and a container found ``PUBLISHED`` is never published again.

``lookup``: a saved container that is not ``PUBLISHED`` proves the post absent (certain). Else
the account's media (``fields=id,caption,timestamp,permalink``) from the first send on are
matched on the exact caption after normalisation: sure within that window (a post with this
caption there is this delivery, or the same words already on the account). A post without a
caption, or a window too long to read, cannot be judged: ``Permanent``, for a person.
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
from platforms.adapters.meta_adapter import (
    FacebookLoginAdapter,
    FacebookLoginSettings,
    created_id,
    published_text,
)
from platforms.adapters.meta_lookup import (
    LOOKUP_SKEW,
    LOOKUP_WINDOW,
    find_post,
    quota_wait_at,
    usage_exhausted,
)
from platforms.adapters.steps import Steps
from platforms.text import RULES, TextRules

#: Meta ("IG Container" reference): check a container's status once per minute, for no more
#: than five minutes.
POLL_INTERVAL = 60.0
MAX_POLLS = 5
#: Meta: a carousel holds up to 10 images and videos.
CAROUSEL_MAX = 10
MEDIA_FIELDS = "id,caption,timestamp,permalink"
FINISHED, PUBLISHED = "FINISHED", "PUBLISHED"
FAILED = ("ERROR", "EXPIRED")


class InstagramSettings(FacebookLoginSettings):
    """An Instagram professional account linked to a Facebook Page (Instagram Graph API)."""

    ig_user_id: str = Field(
        pattern=r"^[0-9]+$",
        description="The numeric id of the Instagram professional account (IG User) to post as.",
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


class InstagramAdapter(FacebookLoginAdapter[InstagramSettings]):
    name: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    settings_model: ClassVar[type[InstagramSettings]] = InstagramSettings
    rules: ClassVar[TextRules] = RULES["instagram"]
    can_lookup: ClassVar[bool] = True

    def publish(self, request: PublishRequest) -> PublishResult:
        caption = published_text(self.rules, request)
        steps = Steps(request)
        media_id = steps.get("media_id")
        if isinstance(media_id, str):
            return self.permalink(media_id)
        media = list(request.media)
        if not media:
            raise Permanent("Instagram needs an image or a video")
        if len(media) > CAROUSEL_MAX:
            raise Permanent(f"an Instagram carousel takes at most {CAROUSEL_MAX} images and videos")
        container = steps.get("container")
        if isinstance(container, str) and self._status(container)[0] == PUBLISHED:
            found = self._find(caption, steps)
            if found is None:
                raise Unknown(
                    f"Instagram container {container} was published but the post is not "
                    "listed yet; look it up before sending again"
                )
            return found
        self._check_quota()
        if not isinstance(container, str):
            container = self._make_container(caption, media, steps)
        self._wait_until_finished(container, steps)
        steps.sending()
        body = self.graph.post(
            f"/{self.settings.ig_user_id}/media_publish", {"creation_id": container}, creates=True
        )
        media_id = created_id(self.label, body, "id")
        steps.save(media_id=media_id)
        return self.permalink(media_id)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's post if out (see the module docstring for how sure)."""
        steps = Steps(request)
        media_id = steps.get("media_id")
        if isinstance(media_id, str):
            return self.permalink(media_id)
        container = steps.get("container")
        published = isinstance(container, str) and self._status(container)[0] == PUBLISHED
        if isinstance(container, str) and not published:
            return None  # made but never published: certainly not out
        caption = published_text(self.rules, request)
        if not caption.strip():
            raise Permanent(
                "cannot tell whether it went out: an Instagram post without a caption cannot "
                "be matched; check the account by hand"
            )
        found = self._find(caption, steps)
        if found is None and published:
            raise Transient(f"Instagram container {container} was published but is not listed yet")
        return found

    def _find(self, caption: str, steps: Steps) -> PublishResult | None:
        found = find_post(
            self.graph,
            f"/{self.settings.ig_user_id}/media",
            fields=MEDIA_FIELDS,
            text_field="caption",
            time_field="timestamp",
            text=caption,
            since=steps.search_from(window=LOOKUP_WINDOW, skew=LOOKUP_SKEW),
        )
        if found is None:
            return None
        media_id = str(found["id"])
        steps.save(media_id=media_id)
        url = found.get("permalink")
        return PublishResult(external_id=media_id, url=url if isinstance(url, str) else None)

    def _check_quota(self) -> None:
        body = self.graph.get(
            f"/{self.settings.ig_user_id}/content_publishing_limit", fields="quota_usage,config"
        )
        data = body.get("data")
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        exhausted, duration = usage_exhausted(entry, "quota_usage", "config")
        if exhausted:
            media = f"/{self.settings.ig_user_id}/media"
            wait = quota_wait_at(self.graph, media, duration=duration)
            raise RateLimited(
                f"the Instagram account has used its {entry.get('quota_usage')} posts for the "
                f"last {duration / 3600:.0f} h; retry in {wait:.0f}s",
                retry_after=wait,
            )

    def _make_container(self, caption: str, media: list[Media], steps: Steps) -> str:
        path = f"/{self.settings.ig_user_id}/media"
        if len(media) == 1:
            body = self.graph.post(path, _item(media[0], caption=caption), creates=False)
            container = created_id(self.label, body, "id", creates=False)
            steps.save(container=container)
            return container
        children = [str(c) for c in steps.get("children") or []]
        for medium in media[len(children) :]:
            body = self.graph.post(path, _item(medium, carousel=True), creates=False)
            children.append(created_id(self.label, body, "id", creates=False))
            steps.save(children=children)
        for child in children:
            self._wait_until_finished(child, steps)
        carousel = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
        body = self.graph.post(path, carousel, creates=False)
        container = created_id(self.label, body, "id", creates=False)
        steps.save(container=container)
        return container

    def _status(self, container: str) -> tuple[str, str]:
        body = self.graph.get(f"/{container}", fields="status_code,status")
        return str(body.get("status_code") or ""), str(body.get("status") or "")

    def _wait_until_finished(self, container: str, steps: Steps) -> None:
        """Poll until FINISHED; a failed container is forgotten so a later retry starts over."""
        for poll in range(self.settings.max_polls):
            if poll:
                time.sleep(self.settings.poll_interval_seconds)
            code, status = self._status(container)
            if code in (FINISHED, PUBLISHED):
                return
            if code in FAILED:
                steps.save(container=None, children=None)
                why = (
                    "it expired: made over 24 hours ago and never published"
                    if code == "EXPIRED"
                    else status or "processing failed"
                )
                raise Permanent(f"Instagram could not publish container {container}: {why}")
        raise Transient(
            f"Instagram is still processing container {container} after "
            f"{self.settings.max_polls} checks; the next attempt resumes with it"
        )


def _item(medium: Media, *, caption: str = "", carousel: bool = False) -> dict[str, Any]:
    """One container's parameters: an image with its alt text, or a video."""
    data: dict[str, Any]
    if medium.kind == "video":
        data = {"media_type": "VIDEO" if carousel else "REELS", "video_url": medium.url}
    else:
        data = {"image_url": medium.url, "alt_text": medium.alt or None}
    if carousel:
        data["is_carousel_item"] = True
    elif caption:
        data["caption"] = caption
    return data
