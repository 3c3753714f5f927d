"""X: ``POST /2/tweets`` with an OAuth 2.0 user token, threads as replies, media by id.

The flow, per delivery:

1. **Token**: ``prepare`` refreshes the OAuth 2.0 user token when it ends within five minutes,
   and a 401 is met with one refresh and one more try (``x_api``, with the settings).
2. **Text**: shaped by ``platforms.text`` (280 weighted characters) into one post or a numbered
   thread.
3. **Media**: uploaded and described (alt text) by ``x_media``, each step saved to progress.
4. **Posts**: ``POST /2/tweets`` with ``text``, ``media.media_ids`` on the first part and
   ``reply.in_reply_to_tweet_id`` on the others. Each posted part is saved to progress, so a
   retry posts only what is missing.

X has no idempotency key. A lost answer is ``Unknown`` and is settled by ``lookup`` (the
account's own recent posts, read by ``x_lookup``). Sending the same text again is refused with
403 "duplicate content", without the existing post's id: the adapter then looks in the
account's posts made since this delivery first sent that part; found, it is this delivery's
post, published; not found, the text duplicates an older post and the refusal is ``Permanent``
and says so. Only a part this delivery sent before (its ``sending`` mark is in progress) can be
claimed so: a duplicate on the first try is always somebody else's post.

Rate limits (X's 15-minute and daily windows) are read in ``x_api``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    Permanent,
    PublishRequest,
    PublishResult,
    Transient,
)
from platforms.adapters.http import json_object
from platforms.adapters.steps import mark_sent, sent_at
from platforms.adapters.x_api import XAPI, XSettings
from platforms.adapters.x_lookup import LOOKUP_DEFAULT_WINDOW, XTimeline
from platforms.adapters.x_media import XMedia
from platforms.text import RULES, CannotPublish, TextRules, shape

DUPLICATE_CONTENT = "duplicate content"


class XAdapter(Adapter[XSettings]):
    name: ClassVar[str] = "x"
    label: ClassVar[str] = "X"
    settings_model: ClassVar[type[AdapterSettings]] = XSettings
    rules: ClassVar[TextRules] = RULES["x"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.api = XAPI(self, client=client)
        self.media = XMedia(
            self.api.call,
            client=client,
            timeout=self.settings.timeout_seconds,
            poll_seconds=self.settings.media_poll_seconds,
            wait_seconds=self.settings.media_wait_seconds,
        )
        self.timeline = XTimeline(self.api)

    def prepare(self, now: datetime) -> None:
        """Refresh the access token if it ends soon and can be refreshed (see ``x_api``)."""
        self.api.prepare(now)

    # --- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        parts = self.shape(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return self._result(posted)
        media_ids = (
            self.media.media_ids(list(request.media), request.progress, request.idempotency_key)
            if not posted
            else []
        )
        for index in range(len(posted), len(parts)):
            state = request.progress.state
            sent_before = (
                state.get("key") == request.idempotency_key and state.get("sending") == index
            )
            mark_sent(request)
            request.progress.save(key=request.idempotency_key, sending=index)
            reply_to = posted[-1] if posted else None
            post_id = self._post(
                parts[index], reply_to=reply_to, media_ids=media_ids if index == 0 else []
            )
            if post_id is None:
                post_id = self._own_duplicate(parts[index], reply_to, request, sent_before)
            posted.append(post_id)
            request.progress.save(key=request.idempotency_key, posts=list(posted))
        return self._result(posted)

    def _own_duplicate(
        self, part: str, reply_to: str | None, request: PublishRequest, sent_before: bool
    ) -> str:
        """X refused ``part`` as a duplicate: ours, if an earlier attempt sent it, else not."""
        found = None
        if sent_before:  # an earlier attempt sent this part and lost the answer
            since = sent_at(request, window=LOOKUP_DEFAULT_WINDOW)
            found = self.timeline.find(part, parent=reply_to, since=since)
        if found is None:
            raise Permanent(
                "X refused this post as duplicate content: the same text is already on the "
                "account, and not from this delivery"
            )
        return found

    def shape(self, text: str) -> list[str]:
        try:
            return shape(self.rules, text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None

    def _post(self, text: str, *, reply_to: str | None, media_ids: Sequence[str]) -> str | None:
        """The new post's id, or ``None`` when X refused it as duplicate content."""
        body: dict[str, Any] = {"text": text}
        if reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        if media_ids:
            body["media"] = {"media_ids": list(media_ids)}
        try:
            response = self.api.call("POST", "/2/tweets", creates=True, json=body)
        except Permanent as exc:
            if DUPLICATE_CONTENT in exc.message.lower():
                return None
            raise
        data = json_object(response).get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise Transient("X accepted the post but its answer named no id")  # pragma: no cover
        return str(data["id"])

    # --- lookup ----------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's post if the account already has it, by reading its own posts.

        Certain within the window ``x_lookup`` reads (from the first send on); a window too
        long to read is ``Permanent``, for a person. A thread found in part is saved to
        progress and reported absent, so the next publish posts only what is missing.
        """
        parts = self.shape(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return self._result(posted)
        found = self.timeline.thread(parts, since=sent_at(request, window=LOOKUP_DEFAULT_WINDOW))
        if not found:
            return None
        request.progress.save(key=request.idempotency_key, posts=found)
        return self._result(found) if len(found) == len(parts) else None

    def _result(self, posted: Sequence[str]) -> PublishResult:
        return PublishResult(
            external_id=posted[0], url=f"{self.settings.web_url}/i/web/status/{posted[0]}"
        )

    def close(self) -> None:
        self.api.close()


def _posted(request: PublishRequest) -> list[str]:
    """Parts already posted for this delivery (progress saved under the same key)."""
    state = request.progress.state
    posts = state.get("posts")
    if not isinstance(posts, list) or not posts:
        return []
    if state.get("key") != request.idempotency_key:
        raise Permanent(
            f"{len(posts)} post(s) of an earlier version of this text are already on X; "
            "delete them or mark the delivery published before sending the new text"
        )
    return [str(p) for p in posts]
