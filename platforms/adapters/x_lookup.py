"""Finding a delivery's posts on X after a lost answer, in the account's own timeline.

X has no idempotency key, so whether a part is already out is read from
``GET /2/users/:id/tweets`` (``start_time`` = the first send recorded in progress less
``CLOCK_SKEW``, or ``LOOKUP_DEFAULT_WINDOW`` back when none was recorded). A post matches a part
when its text, with X's ``t.co`` links put back as written (the media link dropped) and HTML
entities decoded, equals the part's (NFC, whitespace collapsed, links compared without their
scheme); a thread's part must also reply to the part before.

How sure: certain within the window, because X refuses the same text twice from one account, so
at most one post can carry a part's text, and the timeline lists every post the account made (up
to X's 3,200 most recent). A window holding more than ``LOOKUP_MAX_PAGES`` pages is not judged:
``Permanent`` leaves it to a person.

Apart from ``x`` because reading posts back and comparing their text is its own craft, used both
by ``lookup`` and when X refuses a part as duplicate content.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import regex

from platforms.adapters.base import Permanent, Transient
from platforms.adapters.http import as_mapping, json_object
from platforms.adapters.x_api import XAPI
from platforms.text import extract_urls
from platforms.text.unicode import nfc

#: ``GET /2/users/:id/tweets``: at most 100 posts a page (API reference).
TIMELINE_PAGE_SIZE = 100
#: Ours: pages read by one lookup (500 posts) before it gives up and asks a person.
LOOKUP_MAX_PAGES = 5
#: Ours: how far back a lookup reads when the delivery recorded no send time.
LOOKUP_DEFAULT_WINDOW = timedelta(hours=48)
#: Ours: X's clock and ours differ; a post may carry a time this much before our "sent at".
CLOCK_SKEW = timedelta(minutes=5)

_SPACE = regex.compile(r"\s+")


class XTimeline:
    """The account's own posts, read through ``api``; the user id is asked for once."""

    def __init__(self, api: XAPI) -> None:
        self._api = api
        self._user_id: str | None = None

    def thread(self, parts: Sequence[str], *, since: datetime) -> list[str]:
        """The ids of the leading parts already out, in order (empty: none of them)."""
        found: list[str] = []
        for post in self._timeline(since - CLOCK_SKEW):
            if len(found) >= len(parts):
                break
            parent = found[-1] if found else None
            if _parent(post) == parent and _comparable(_as_written(post)) == _comparable(
                parts[len(found)]
            ):
                found.append(str(post["id"]))
        return found

    def find(self, part: str, *, parent: str | None, since: datetime) -> str | None:
        """The id of the post carrying ``part`` in reply to ``parent``, if there is one."""
        wanted = _comparable(part)
        for post in self._timeline(since - CLOCK_SKEW):
            if _parent(post) == parent and _comparable(_as_written(post)) == wanted:
                return str(post["id"])
        return None

    def _timeline(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        """The account's posts made since ``since``, oldest first."""
        if self._user_id is None:
            me = json_object(self._api.call("GET", "/2/users/me")).get("data")
            if not isinstance(me, dict) or "id" not in me:
                raise Transient("X answered /2/users/me without the user's id")
            self._user_id = str(me["id"])
        params: dict[str, Any] = {
            "max_results": TIMELINE_PAGE_SIZE,
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tweet.fields": "created_at,entities,referenced_tweets",
            "exclude": "retweets",
        }
        window: list[Mapping[str, Any]] = []
        for _ in range(LOOKUP_MAX_PAGES):
            body = json_object(
                self._api.call("GET", f"/2/users/{self._user_id}/tweets", params=params)
            )
            window.extend(p for p in body.get("data") or [] if isinstance(p, Mapping))
            token = as_mapping(body.get("meta")).get("next_token")
            if not token:
                return iter(reversed(window))
            params["pagination_token"] = token
        raise Permanent(
            "cannot tell whether it went out: more than "
            f"{LOOKUP_MAX_PAGES * TIMELINE_PAGE_SIZE} posts since {since:%Y-%m-%d %H:%M} UTC; "
            "check the account by hand before sending again"
        )


def _as_written(post: Mapping[str, Any]) -> str:
    """A post's text with its ``t.co`` links put back as written and the media link dropped."""
    text = str(post.get("text") or "")
    for url in as_mapping(post.get("entities")).get("urls") or []:
        if not isinstance(url, Mapping) or not isinstance(url.get("url"), str):
            continue
        is_media = "media_key" in url or str(url.get("display_url", "")).startswith("pic.")
        text = text.replace(url["url"], "" if is_media else str(url.get("expanded_url") or ""))
    return html.unescape(text)


def _comparable(text: str) -> str:
    """NFC, whitespace collapsed, each link lower-cased without scheme or trailing slash."""
    normalized = nfc(text)
    pieces: list[str] = []
    position = 0
    for link in extract_urls(normalized):
        bare = regex.sub(r"^https?://", "", link.text, flags=regex.I).rstrip("/").lower()
        pieces.extend((normalized[position : link.start], bare))
        position = link.end
    pieces.append(normalized[position:])
    return _SPACE.sub(" ", "".join(pieces)).strip()


def _parent(post: Mapping[str, Any]) -> str | None:
    for ref in post.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None
