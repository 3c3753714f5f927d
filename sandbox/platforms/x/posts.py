"""X's posts: ``POST /2/tweets``, and the timeline that serves them back as X does.

- ``POST /2/tweets`` (JSON ``text``, ``reply.in_reply_to_tweet_id``, ``media.media_ids``): 201
  with ``{"data": {"id", "text", "edit_history_tweet_ids"}}``. X has no idempotency key: the
  same text again from the same account is refused with 403 "You are not allowed to create a
  Tweet with duplicate content." and the existing post's id is not given.
- ``GET /2/users/me`` and ``GET /2/users/:id/tweets`` (newest first, ``start_time``,
  ``max_results`` up to 100, ``pagination_token``). As on X, post text comes back with each link
  wrapped as ``https://t.co/…`` (the link as written is in ``entities.urls[].expanded_url``), a
  media link appended, and ``&``, ``<``, ``>`` HTML-escaped.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import LINK, json_time, store_of
from sandbox.platforms.x.common import NAME, caller, invalid, problem
from sandbox.platforms.x.media import attachable
from sandbox.store import Record

#: twitter-text v3: 280 weighted characters, a link counts 23. The sandbox counts code points
#: (lenient where X weighs CJK and emoji double) so it never refuses what X would take.
MAX_LENGTH, URL_LENGTH = 280, 23
#: ``GET /2/users/:id/tweets``: ``max_results`` from 5 to 100, 10 by default.
PAGE_MIN, PAGE_DEFAULT, PAGE_MAX = 5, 10, 100
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."

router = APIRouter()


def _user_id(handle: str) -> str:
    return str(int(hashlib.sha256(handle.encode()).hexdigest()[:15], 16))


@router.post("/2/tweets", status_code=201)
async def create_post(request: Request) -> dict[str, Any]:
    handle = caller(request)
    store = store_of(request)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise invalid("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    text = body.get("text")
    media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
    if text is not None and not isinstance(text, str):
        raise invalid("$.text: expected a string")
    if not (text or "").strip() and not media_ids:
        raise invalid("$.text: text or media is required")
    text = text or ""
    if len(LINK.sub("x" * URL_LENGTH, text)) > MAX_LENGTH:
        raise problem(403, "Forbidden", "Your Tweet text is too long.")
    reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
    if reply_to is not None and store.get(NAME, str(reply_to), kind="post") is None:
        raise problem(
            403,
            "Forbidden",
            "You attempted to reply to a Tweet that is deleted or not visible to you.",
        )
    attachable(store, handle, media_ids)
    if text.strip() and any(
        p.body["text"] == text for p in store.records(NAME, kind="post", account=handle)
    ):
        raise problem(403, "Forbidden", DUPLICATE)
    post_id = store.next_id()
    record = store.add(
        NAME,
        account=handle,
        kind="post",
        record_id=post_id,
        url=f"https://x.com/{handle}/status/{post_id}",
        body={
            "text": text,
            "reply": body.get("reply"),
            "media": body.get("media"),
            "in_reply_to_tweet_id": str(reply_to) if reply_to is not None else None,
        },
        state={"authorization": request.headers.get("authorization", "")},
    )
    return {"data": {"id": record.id, "text": text, "edit_history_tweet_ids": [record.id]}}


@router.get("/2/users/me")
def me(request: Request) -> dict[str, Any]:
    handle = caller(request)
    return {"data": {"id": _user_id(handle), "name": handle, "username": handle}}


@router.get("/2/users/{user_id}/tweets")
def user_posts(user_id: str, request: Request) -> dict[str, Any]:
    caller(request)
    store = store_of(request)
    owners = {_user_id(r.account): r.account for r in store.records(NAME, kind="post")}
    query = request.query_params
    try:
        limit = int(query.get("max_results", PAGE_DEFAULT))
        since = (
            datetime.fromisoformat(query["start_time"].replace("Z", "+00:00"))
            if ("start_time" in query)
            else None
        )
        offset = int(query.get("pagination_token") or 0)
    except ValueError:
        raise invalid("Invalid query parameter") from None
    if not PAGE_MIN <= limit <= PAGE_MAX:
        raise invalid(f"$.max_results: must be between {PAGE_MIN} and {PAGE_MAX}")
    handle = owners.get(user_id)
    posts = [] if handle is None else store.records(NAME, kind="post", account=handle)
    posts = [p for p in reversed(posts) if since is None or p.created_at >= since]
    page = posts[offset : offset + limit]
    meta: dict[str, Any] = {"result_count": len(page)}
    if page:
        meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
    if offset + limit < len(posts):
        meta["next_token"] = str(offset + limit)
    answer: dict[str, Any] = {"meta": meta}
    if page:
        answer["data"] = [_as_served(p) for p in page]
    return answer


def _as_served(record: Record) -> dict[str, Any]:
    """A post as X serves it: links wrapped in t.co, a media link appended, text escaped."""
    text, urls = record.body["text"], []
    out, last = [], 0
    for match in LINK.finditer(text):
        wrapped = "https://t.co/" + hashlib.sha256(match.group().encode()).hexdigest()[:10]
        out.append(text[last : match.start()])
        start = len("".join(out))
        out.append(wrapped)
        urls.append(
            {
                "start": start,
                "end": start + len(wrapped),
                "url": wrapped,
                "expanded_url": match.group(),
                "display_url": match.group().split("://", 1)[1][:26],
            }
        )
        last = match.end()
    out.append(text[last:])
    served = "".join(out)
    media_ids = (record.body.get("media") or {}).get("media_ids") or []
    if media_ids:
        wrapped = "https://t.co/" + hashlib.sha256(record.id.encode()).hexdigest()[:10]
        start = len(served) + 1
        served = f"{served} {wrapped}"
        urls.append(
            {
                "start": start,
                "end": start + len(wrapped),
                "url": wrapped,
                "expanded_url": f"https://x.com/{record.account}/status/{record.id}/photo/1",
                "display_url": "pic.x.com/" + wrapped[-10:],
                "media_key": f"3_{media_ids[0]}",
            }
        )
    post: dict[str, Any] = {
        "id": record.id,
        "text": html.escape(served, quote=False),
        "created_at": json_time(record.created_at),
        "edit_history_tweet_ids": [record.id],
    }
    if urls:
        post["entities"] = {"urls": urls}
    parent = record.body.get("in_reply_to_tweet_id")
    if parent:
        post["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
    return post
