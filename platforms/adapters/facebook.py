"""Facebook Pages: posts on a Page, as the Page, through the Graph API.

The account holds a Page access token (one made from a long-lived user token never expires;
one that does is extended through ``fb_exchange_token`` when the app's id and secret are set).
Facebook fetches images and videos from their public URLs itself. The flows:

- text: ``POST /{page-id}/feed`` with ``message`` and ``link`` (the request's ``link`` metadata,
  else the first link in the text, so the post gets its preview card) → ``{"id"}``;
- one photo: ``POST /{page-id}/photos`` with ``url``, ``caption`` and ``alt_text_custom`` →
  ``{"id", "post_id"}``;
- several photos: each uploaded with ``published=false`` (invisible, so a lost answer is only
  ``Transient``; each id is saved in progress as it comes back, so a retry does not upload it
  again), then one ``POST /{page-id}/feed`` with ``attached_media``;
- one video: ``POST /{page-id}/videos`` with ``file_url`` and ``description`` → ``{"id"}``;
  Facebook fetches and processes it, and the Page's feed shows it once processed.

Facebook has no idempotency key. ``lookup`` reads the Page's feed (``fields=id,message,
created_time,permalink_url``) from the delivery's first send on (less ``LOOKUP_SKEW``; without
a recorded send, ``LOOKUP_WINDOW``) and matches the message exactly after normalisation; for a
video it also reads ``/{page-id}/videos``, which lists a video before processing ends. It is
sure within that window: a post with these exact words there is this delivery, or the same words
already on the Page, and neither warrants posting again. A post with no text cannot be matched,
and neither can a window of more than ``MAX_PAGES`` pages: both raise ``Permanent`` (asking again
cannot help), which leaves the delivery to a person.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from platforms.adapters.base import Media, Permanent, PublishRequest, PublishResult
from platforms.adapters.meta_adapter import (
    FacebookLoginAdapter,
    FacebookLoginSettings,
    created_id,
    published_text,
)
from platforms.adapters.meta_lookup import LOOKUP_SKEW, LOOKUP_WINDOW, find_post
from platforms.adapters.steps import Steps
from platforms.text import RULES, TextRules, extract_urls

FEED_FIELDS = "id,message,created_time,permalink_url"
VIDEO_FIELDS = "id,description,created_time,permalink_url"


class FacebookSettings(FacebookLoginSettings):
    """A Facebook Page: its id, and a Page access token (``pages_manage_posts``)."""

    page_id: str = Field(
        pattern=r"^[0-9]+$", description="The numeric id of the Page the posts appear on."
    )


class FacebookAdapter(FacebookLoginAdapter[FacebookSettings]):
    name: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
    settings_model: ClassVar[type[FacebookSettings]] = FacebookSettings
    rules: ClassVar[TextRules] = RULES["facebook"]
    can_lookup: ClassVar[bool] = True

    @property
    def page(self) -> str:
        return self.settings.page_id

    def publish(self, request: PublishRequest) -> PublishResult:
        text = published_text(self.rules, request)
        steps = Steps(request)
        done = steps.get("post")
        if isinstance(done, str):
            return self.permalink(done, "permalink_url")
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        if videos and (images or len(videos) > 1):
            raise Permanent("a Facebook Page post takes one video, or photos, not both")
        if not text.strip() and not request.media:
            raise Permanent("there is nothing to post: no text and no media")
        if videos:
            post_id = self._video(text, videos[0], steps)
        elif len(images) == 1:
            post_id = self._photo(text, images[0], steps)
        elif images:
            post_id = self._album(text, images, steps)
        else:
            post_id = self._status(text, request, steps)
        steps.save(post=post_id)
        return self.permalink(post_id, "permalink_url")

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's post on the Page, by its exact text since the first send (see above)."""
        steps = Steps(request)
        done = steps.get("post")
        if isinstance(done, str):
            return self.permalink(done, "permalink_url")
        text = published_text(self.rules, request)
        if not text.strip():
            raise Permanent(
                "cannot tell whether it went out: a Facebook post without text cannot be matched; "
                "check the Page by hand"
            )
        since = steps.search_from(window=LOOKUP_WINDOW, skew=LOOKUP_SKEW)
        found = find_post(
            self.graph,
            f"/{self.page}/feed",
            fields=FEED_FIELDS,
            text_field="message",
            time_field="created_time",
            text=text,
            since=since,
        )
        if found is None and any(m.kind == "video" for m in request.media):
            found = find_post(
                self.graph,
                f"/{self.page}/videos",
                fields=VIDEO_FIELDS,
                text_field="description",
                time_field="created_time",
                text=text,
                since=since,
            )
        if found is None:
            return None
        post_id = str(found["id"])
        steps.save(post=post_id)
        url = found.get("permalink_url")
        return PublishResult(external_id=post_id, url=url if isinstance(url, str) else None)

    def _status(self, text: str, request: PublishRequest, steps: Steps) -> str:
        link = request.metadata.get("link")
        if not isinstance(link, str) or not link:
            links = extract_urls(text)
            link = links[0].value if links else None
        steps.sending()
        body = self.graph.post(
            f"/{self.page}/feed", {"message": text or None, "link": link}, creates=True
        )
        return created_id(self.label, body, "id")

    def _photo(self, text: str, image: Media, steps: Steps) -> str:
        steps.sending()
        body = self.graph.post(
            f"/{self.page}/photos",
            {"url": image.url, "caption": text or None, "alt_text_custom": image.alt},
            creates=True,
        )
        return created_id(self.label, body, "post_id", "id")

    def _album(self, text: str, images: list[Media], steps: Steps) -> str:
        uploaded = [str(i) for i in steps.get("photos") or []]
        for image in images[len(uploaded) :]:
            body = self.graph.post(
                f"/{self.page}/photos",
                {"url": image.url, "published": False, "alt_text_custom": image.alt},
                creates=False,
            )
            uploaded.append(created_id(self.label, body, "id", creates=False))
            steps.save(photos=uploaded)
        steps.sending()
        attached = [{"media_fbid": photo} for photo in uploaded]
        body = self.graph.post(
            f"/{self.page}/feed",
            {"message": text or None, "attached_media": attached},
            creates=True,
        )
        return created_id(self.label, body, "id")

    def _video(self, text: str, video: Media, steps: Steps) -> str:
        steps.sending()
        body = self.graph.post(
            f"/{self.page}/videos",
            {"file_url": video.url, "description": text or None},
            creates=True,
        )
        return created_id(self.label, body, "id")
