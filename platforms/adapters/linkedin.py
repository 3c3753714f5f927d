"""LinkedIn: posts by a member or an organization through the versioned Posts API.

The calls themselves (versioned headers, 429s waiting until midnight UTC, the OAuth 2 token
refresh) and the settings are in ``linkedin_api``; this module is what a post is:

- ``POST /rest/posts`` with ``author`` (``urn:li:organization:…`` or ``urn:li:person:…``),
  ``commentary``, ``visibility: PUBLIC``, ``distribution`` (``MAIN_FEED``, no targeting, no
  third-party channels) and ``lifecycleState: PUBLISHED`` → 201, the new post's URN in the
  ``x-restli-id`` header.
- ``commentary`` is in LinkedIn's *little text* format, where ``\\ | { } @ [ ] ( ) < > # * _ ~``
  are markup: unescaped, LinkedIn silently cuts the post at the first one. They are
  backslash-escaped, except in links (so they stay links) and in hashtags (so they stay
  hashtags).
- Images: ``POST /rest/images?action=initializeUpload`` → ``uploadUrl`` and an image URN, the
  bytes PUT there; one image is ``content.media {id, altText}``, several ``content.multiImage``.
  A video: ``POST /rest/videos?action=initializeUpload`` (``fileSizeBytes``) → upload
  instructions, each part PUT (its ``ETag`` kept), then ``action=finalizeUpload`` with the
  ETags in order; ``content.media {id, title}``. Uploads are invisible (a lost answer is only
  ``Transient``) and each URN is saved in progress, so a retry does not upload again.
- A repeat of a post gets 422 ``DUPLICATE_POST`` naming the existing ``urn:li:share`` (or
  ``ugcPost``): that is this delivery already published, and its URN is the result. (LinkedIn
  has been seen naming a deleted post there; the URN is still the honest answer.)

``lookup`` reads the author's posts (``GET /rest/posts?q=author&author=…&sortBy=CREATED``) from
the first send on (``LOOKUP_SKEW`` allowed; ``LOOKUP_WINDOW`` without a recorded send) and
matches the commentary exactly as we sent it. Sure within that window (a post with these exact
words there is this delivery, or the same words already posted, which LinkedIn itself would
refuse as a duplicate). A post without text, or a window too long to read, cannot be judged
(``Permanent``, for a person).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    Media,
    Permanent,
    PublishRequest,
    PublishResult,
    Transient,
    Unknown,
)
from platforms.adapters.linkedin_api import LinkedInAPI, LinkedInSettings
from platforms.adapters.media import load_media
from platforms.adapters.steps import Steps
from platforms.text import (
    RULES,
    CannotPublish,
    TextRules,
    extract_hashtags,
    extract_urls,
    shape,
)

#: Little text format: characters that are markup unless backslash-escaped.
RESERVED = frozenset("\\|{}@[]()<>#*_~")
#: Posts API: a multi-image post takes 2 to 20 images.
MULTI_IMAGE_MAX = 20
#: Ours: how far back a lookup reads without a recorded first send, and the clock skew allowed.
LOOKUP_WINDOW = timedelta(days=7)
LOOKUP_SKEW = timedelta(minutes=10)
#: Posts per page of the author finder, and pages read before a lookup gives up being sure.
PAGE_SIZE = 50
MAX_PAGES = 10
DUPLICATE_URN = re.compile(r"urn:li:(?:share|ugcPost):[0-9]+")


def little_text(text: str) -> str:
    """``text`` as Posts API ``commentary``: markup characters escaped, links and hashtags kept."""
    kept = [(e.start, e.end) for e in extract_urls(text)]
    kept += [(e.start, e.end) for e in extract_hashtags(text)]
    out = []
    for index, char in enumerate(text):
        inside = any(start <= index < end for start, end in kept)
        out.append("\\" + char if char in RESERVED and not inside else char)
    return "".join(out)


class LinkedInAdapter(Adapter[LinkedInSettings]):
    name: ClassVar[str] = "linkedin"
    label: ClassVar[str] = "LinkedIn"
    settings_model: ClassVar[type[LinkedInSettings]] = LinkedInSettings
    rules: ClassVar[TextRules] = RULES["linkedin"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.api = LinkedInAPI(self, client=client)

    def prepare(self, now: datetime) -> None:
        """Refresh the access token when it expires soon (see ``linkedin_api``)."""
        self.api.prepare(now)

    # --- publishing ----------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        commentary = self._commentary(request)
        steps = Steps(request)
        done = steps.get("post")
        if isinstance(done, str):
            return _result(done)
        if not commentary.strip() and not request.media:
            raise Permanent("there is nothing to post: no text and no media")
        body: dict[str, Any] = {
            "author": self.settings.author,
            "commentary": commentary,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = self._content(request, steps)
        if content:
            body["content"] = content
        steps.sending()
        response = self.api.call("POST", "/rest/posts", creates=True, json=body, check=False)
        duplicate = _duplicate_of(response)
        if duplicate is not None:
            steps.save(post=duplicate)
            return _result(duplicate)
        self.api.check(response, creates=True)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise Unknown("LinkedIn accepted the post but sent no URN back; look it up first")
        steps.save(post=urn)
        return _result(urn)

    def _commentary(self, request: PublishRequest) -> str:
        try:
            return little_text(shape(self.rules, request.text)[0])
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None

    def _content(self, request: PublishRequest, steps: Steps) -> dict[str, Any] | None:
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        if videos and (images or len(videos) > 1):
            raise Permanent("a LinkedIn post takes one video, or images, not both")
        if len(images) > MULTI_IMAGE_MAX:
            raise Permanent(f"a LinkedIn post takes at most {MULTI_IMAGE_MAX} images")
        if videos:
            urn = steps.get("video")
            if not isinstance(urn, str):
                urn = self._upload_video(videos[0])
                steps.save(video=urn)
            media: dict[str, Any] = {"id": urn}
            title = request.metadata.get("title")
            if isinstance(title, str) and title:
                media["title"] = title
            return {"media": media}
        if not images:
            return None
        uploaded = [str(u) for u in steps.get("images") or []]
        for image in images[len(uploaded) :]:
            uploaded.append(self._upload_image(image))
            steps.save(images=uploaded)
        described = [
            {"id": urn, "altText": m.alt or ""} for urn, m in zip(uploaded, images, strict=True)
        ]
        if len(described) == 1:
            return {"media": described[0]}
        return {"multiImage": {"images": described}}

    def _upload_image(self, image: Media) -> str:
        data = load_media(image, client=self._client, timeout=self.settings.timeout_seconds)
        request = {"initializeUploadRequest": {"owner": self.settings.author}}
        answer = self.api.json(
            self.api.call(
                "POST", "/rest/images?action=initializeUpload", creates=False, json=request
            )
        )
        value = answer.get("value") or {}
        url, urn = value.get("uploadUrl"), value.get("image")
        if not isinstance(url, str) or not isinstance(urn, str):
            raise Transient("LinkedIn did not say where to upload the image")
        self.api.call("PUT", url, creates=False, content=data.data, versioned=False)
        return urn

    def _upload_video(self, video: Media) -> str:
        data = load_media(video, client=self._client, timeout=self.settings.timeout_seconds).data
        request = {
            "initializeUploadRequest": {
                "owner": self.settings.author,
                "fileSizeBytes": len(data),
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
        }
        answer = self.api.json(
            self.api.call(
                "POST", "/rest/videos?action=initializeUpload", creates=False, json=request
            )
        )
        value = answer.get("value") or {}
        urn, instructions = value.get("video"), value.get("uploadInstructions")
        if not isinstance(urn, str) or not isinstance(instructions, list):
            raise Transient("LinkedIn did not say where to upload the video")
        etags = []
        for part in instructions:
            first, last = int(part["firstByte"]), int(part["lastByte"])
            response = self.api.call(
                "PUT",
                str(part["uploadUrl"]),
                creates=False,
                content=data[first : last + 1],
                versioned=False,
            )
            etags.append(response.headers.get("etag", ""))
        finalize = {
            "finalizeUploadRequest": {
                "video": urn,
                "uploadToken": value.get("uploadToken", ""),
                "uploadedPartIds": etags,
            }
        }
        self.api.call("POST", "/rest/videos?action=finalizeUpload", creates=False, json=finalize)
        return urn

    # --- lookup --------------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's post by its exact commentary since the first send (see above)."""
        steps = Steps(request)
        done = steps.get("post")
        if isinstance(done, str):
            return _result(done)
        commentary = self._commentary(request)
        if not commentary.strip():
            raise Permanent(
                "cannot tell whether it went out: a LinkedIn post without text cannot be "
                "matched; check the account by hand"
            )
        since = steps.search_from(window=LOOKUP_WINDOW, skew=LOOKUP_SKEW)
        author = quote(self.settings.author, safe="")
        for page in range(MAX_PAGES):
            path = (
                f"/rest/posts?author={author}&q=author&count={PAGE_SIZE}"
                f"&start={page * PAGE_SIZE}&sortBy=CREATED"
            )
            answer = self.api.json(self.api.call("GET", path, creates=False, finder=True))
            elements = answer.get("elements")
            if not isinstance(elements, list):
                raise Transient("LinkedIn answered the author's posts without elements")
            for post in elements:
                created = post.get("createdAt") if isinstance(post, dict) else None
                if isinstance(created, int) and datetime.fromtimestamp(created / 1000, UTC) < since:
                    return None
                if isinstance(post, dict) and _same(post.get("commentary"), commentary):
                    urn = str(post["id"])
                    steps.save(post=urn)
                    return _result(urn)
            if len(elements) < PAGE_SIZE:
                return None
        raise Permanent(
            f"cannot tell whether it went out: the author has more than {MAX_PAGES * PAGE_SIZE} "
            f"posts since {since:%Y-%m-%d %H:%M} UTC; check the account by hand"
        )

    def close(self) -> None:
        self.api.close()


def _duplicate_of(response: httpx.Response) -> str | None:
    """The existing post's URN when LinkedIn refuses a repeat (422 ``DUPLICATE_POST``)."""
    if response.status_code != 422 or "DUPLICATE_POST" not in response.text:
        return None
    found = DUPLICATE_URN.search(response.text)
    if found is None:
        raise Unknown("LinkedIn says this post is a duplicate but did not name the original")
    return found.group(0)


def _same(found: Any, sent: str) -> bool:
    """Commentary as LinkedIn lists it against what we sent (both little text)."""
    return isinstance(found, str) and found.replace("\r\n", "\n").strip() == sent.strip()


def _result(urn: str) -> PublishResult:
    return PublishResult(external_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/")
