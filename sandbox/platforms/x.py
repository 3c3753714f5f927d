"""X API v2 (docs.x.com): posts, media upload, the user's timeline, OAuth 2.0 token refresh.

- ``POST /2/tweets`` (JSON ``text``, ``reply.in_reply_to_tweet_id``, ``media.media_ids``): 201
  with ``{"data": {"id", "text", "edit_history_tweet_ids"}}``. X has no idempotency key: the
  same text again from the same account is refused with 403 "You are not allowed to create a
  Tweet with duplicate content." and the existing post's id is not given.
- ``POST /2/media/upload`` (multipart ``media``, ``media_category``) for images;
  ``POST /2/media/upload/initialize`` → ``/{id}/append`` (``segment_index``, ``media``) →
  ``/{id}/finalize`` for video, whose ``processing_info`` is then polled with
  ``GET /2/media/upload?command=STATUS&media_id=…`` until ``succeeded``.
  ``POST /2/media/metadata`` (``{"id", "metadata": {"alt_text": {"text"}}}``) sets alt text.
- ``GET /2/users/me`` and ``GET /2/users/:id/tweets`` (newest first, ``start_time``,
  ``max_results`` up to 100, ``pagination_token``). As on X, post text comes back with each link
  wrapped as ``https://t.co/…`` (the link as written is in ``entities.urls[].expanded_url``), a
  media link appended, and ``&``, ``<``, ``>`` HTML-escaped.
- ``POST /2/oauth2/token`` (form ``grant_type=refresh_token``, ``refresh_token``, ``client_id``
  or HTTP Basic client credentials): a new access token (``expires_in`` 7,200 s) and a rotated
  refresh token; the one used is spent. A spent or revoked one is 400 ``invalid_request``.

Errors are problem documents: ``{"title", "detail", "type", "status"}``, with ``errors`` for
invalid requests. Rate limits: ``x-rate-limit-limit``/``-remaining``/``-reset`` (Unix seconds) per
15-minute window, and ``x-user-limit-24hour-*``/``x-app-limit-24hour-*`` for posting.

Sandbox-only: ``PUT /x/_sandbox/oauth`` with ``{"rotate_refresh_tokens": false}`` makes the token
endpoint answer without a new refresh token, as some OAuth servers do.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import regex
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, account_of, bearer, store_of
from sandbox.faults import FaultSpec
from sandbox.forms import multipart_form
from sandbox.store import Record, Store

NAME = "x"
#: OAuth 2.0 access tokens last two hours (docs.x.com, "OAuth 2.0 Authorization Code with PKCE").
ACCESS_SECONDS = 7200
#: twitter-text v3: 280 weighted characters, a link counts 23. The sandbox counts code points
#: (lenient where X weighs CJK and emoji double) so it never refuses what X would take.
MAX_LENGTH, URL_LENGTH = 280, 23
#: X media rules: at most 4 images, or one video, per post.
MAX_IMAGES = 4
#: ``POST /2/tweets`` caps: 200 requests per 15 minutes per user, posts per 24 hours per user.
WINDOW_LIMIT, WINDOW_SECONDS, USER_DAY_LIMIT = 200, 900, 300
#: ``GET /2/users/:id/tweets``: ``max_results`` from 5 to 100, 10 by default.
PAGE_MIN, PAGE_DEFAULT, PAGE_MAX = 5, 10, 100
#: Status polls a video answers ``in_progress`` before ``succeeded`` (ours, to rehearse the wait).
VIDEO_PROCESSING_POLLS = 1
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}

_URL = regex.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")

router = APIRouter()


def _caller(request: Request) -> str:
    return account_of(bearer(request, error=UNAUTHORIZED))


def _user_id(handle: str) -> str:
    return str(int(hashlib.sha256(handle.encode()).hexdigest()[:15], 16))


def _problem(status: int, title: str, detail: str, **extra: Any) -> PlatformAnswer:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}
    return PlatformAnswer(status, body)


def _invalid(message: str) -> PlatformAnswer:
    return PlatformAnswer(
        400,
        {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _config(store: Store) -> dict[str, Any]:
    configured = store.records(NAME, kind="config")
    return dict(configured[-1].body) if configured else {}


# --- OAuth 2.0 -------------------------------------------------------------------------------


@router.put("/_sandbox/oauth", status_code=204)
async def configure_oauth(request: Request) -> None:
    body = json.loads(await request.body() or b"{}")
    store = store_of(request)
    store.add(NAME, account="app", kind="config", body={**_config(store), **body})


@router.post("/2/oauth2/token")
async def token(request: Request) -> dict[str, Any]:
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
    client = form.get("client_id") or _basic_client(request.headers.get("authorization", ""))
    if form.get("grant_type") != "refresh_token":
        raise PlatformAnswer(
            400,
            {"error": "unsupported_grant_type", "error_description": "Grant type not supported"},
        )
    refresh = form.get("refresh_token", "")
    store = store_of(request)
    spent = {r.body["refresh_token"] for r in store.records(NAME, kind="refresh")}
    if not client or not refresh or refresh in spent or store.is_revoked(refresh):
        raise PlatformAnswer(
            400,
            {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            },
        )
    account = account_of(refresh)
    rotate = _config(store).get("rotate_refresh_tokens", True)
    answer: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": ACCESS_SECONDS,
        "access_token": f"{store.issue_token(NAME)}:{account}",
        "scope": "tweet.read tweet.write users.read media.write offline.access",
    }
    if rotate:
        answer["refresh_token"] = f"{store.issue_token(NAME)}:{account}"
        store.add(NAME, account=account, kind="refresh", body={"refresh_token": refresh})
    store.add(NAME, account=account, kind="token", body={"client_id": client, "rotated": rotate})
    return answer


def _basic_client(header: str) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return None
    return client_id if client_id and secret else None


# --- posts -----------------------------------------------------------------------------------


@router.post("/2/tweets", status_code=201)
async def create_post(request: Request) -> dict[str, Any]:
    handle = _caller(request)
    store = store_of(request)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _invalid("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _invalid("Request body must be a JSON object")
    text = body.get("text")
    media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
    if text is not None and not isinstance(text, str):
        raise _invalid("$.text: expected a string")
    if not (text or "").strip() and not media_ids:
        raise _invalid("$.text: text or media is required")
    text = text or ""
    if len(_URL.sub("x" * URL_LENGTH, text)) > MAX_LENGTH:
        raise _problem(403, "Forbidden", "Your Tweet text is too long.")
    reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
    if reply_to is not None and store.get(NAME, str(reply_to), kind="post") is None:
        raise _problem(
            403,
            "Forbidden",
            "You attempted to reply to a Tweet that is deleted or not visible to you.",
        )
    _attach(store, handle, media_ids)
    if text.strip() and any(
        p.body["text"] == text for p in store.records(NAME, kind="post", account=handle)
    ):
        raise _problem(403, "Forbidden", DUPLICATE)
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


def _attach(store: Store, handle: str, media_ids: list[str]) -> None:
    found = []
    for media_id in media_ids:
        record = store.get(NAME, media_id, kind="media")
        if record is None or record.account != handle or not _ready(record):
            raise _invalid(f"$.media.media_ids: Your media IDs are invalid ({media_id}).")
        found.append(record)
    videos = [m for m in found if m.body["category"] != "tweet_image"]
    if len(found) > MAX_IMAGES or (videos and len(found) > 1):
        raise _invalid("$.media.media_ids: at most 4 images or 1 video or GIF")


@router.get("/2/users/me")
def me(request: Request) -> dict[str, Any]:
    handle = _caller(request)
    return {"data": {"id": _user_id(handle), "name": handle, "username": handle}}


@router.get("/2/users/{user_id}/tweets")
def user_posts(user_id: str, request: Request) -> dict[str, Any]:
    _caller(request)
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
        raise _invalid("Invalid query parameter") from None
    if not PAGE_MIN <= limit <= PAGE_MAX:
        raise _invalid(f"$.max_results: must be between {PAGE_MIN} and {PAGE_MAX}")
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
    for match in _URL.finditer(text):
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
        "created_at": record.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "edit_history_tweet_ids": [record.id],
    }
    if urls:
        post["entities"] = {"urls": urls}
    parent = record.body.get("in_reply_to_tweet_id")
    if parent:
        post["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
    return post


# --- media -----------------------------------------------------------------------------------


def _ready(record: Record) -> bool:
    return bool(record.state.get("finalized")) and record.state.get("polls_left", 0) <= 0


def _media_answer(record: Record) -> dict[str, Any]:
    prefix = "3" if record.body["category"] == "tweet_image" else "7"
    data: dict[str, Any] = {
        "id": record.id,
        "media_key": f"{prefix}_{record.id}",
        "size": record.state.get("received", 0),
        "expires_after_secs": 86400,
    }
    if record.body["category"] != "tweet_image" and record.state.get("finalized"):
        done = record.state.get("polls_left", 0) <= 0
        data["processing_info"] = (
            {"state": "succeeded", "progress_percent": 100}
            if done
            else {"state": "in_progress", "check_after_secs": 1, "progress_percent": 40}
        )
    return data


@router.post("/2/media/upload")
async def simple_upload(request: Request) -> dict[str, Any]:
    handle = _caller(request)
    form = await multipart_form(request)
    if form is None or "media" not in form or not form["media"].data:
        raise _invalid("$.media: media is required")
    category = form["media_category"].text if "media_category" in form else "tweet_image"
    if category != "tweet_image":
        raise _invalid("$.media_category: use the chunked upload for video and GIF")
    record = store_of(request).add(
        NAME,
        account=handle,
        kind="media",
        body={"category": category, "media_type": form["media"].content_type, "alt_text": None},
        state={"received": len(form["media"].data), "finalized": True},
    )
    return {"data": _media_answer(record)}


@router.post("/2/media/upload/initialize")
async def initialize(request: Request) -> dict[str, Any]:
    handle = _caller(request)
    body = json.loads(await request.body() or b"{}")
    if not isinstance(body.get("total_bytes"), int) or not body.get("media_type"):
        raise _invalid("$.total_bytes and $.media_type are required")
    record = store_of(request).add(
        NAME,
        account=handle,
        kind="media",
        body={
            "category": body.get("media_category") or "tweet_video",
            "media_type": body["media_type"],
            "total_bytes": body["total_bytes"],
            "alt_text": None,
        },
        state={"received": 0, "segments": [], "finalized": False},
    )
    return {"data": _media_answer(record)}


def _own_media(request: Request, media_id: str) -> Record:
    handle = _caller(request)
    record = store_of(request).get(NAME, media_id, kind="media")
    if record is None or record.account != handle:
        raise _invalid(f"$.id: media {media_id} not found")
    return record


@router.post("/2/media/upload/{media_id}/append")
async def append(media_id: str, request: Request) -> dict[str, Any]:
    record = _own_media(request, media_id)
    form = await multipart_form(request)
    if form is None or "media" not in form or "segment_index" not in form:
        raise _invalid("$.media and $.segment_index are required")
    record.state["received"] += len(form["media"].data)
    record.state["segments"].append(int(form["segment_index"].text))
    expires = datetime.now(UTC) + timedelta(days=1)
    return {"data": {"expires_at": int(expires.timestamp())}}


@router.post("/2/media/upload/{media_id}/finalize")
def finalize(media_id: str, request: Request) -> dict[str, Any]:
    record = _own_media(request, media_id)
    if record.state["received"] != record.body["total_bytes"]:
        raise _invalid(
            f"$.total_bytes: received {record.state['received']} of {record.body['total_bytes']}"
        )
    record.state["finalized"] = True
    record.state["polls_left"] = VIDEO_PROCESSING_POLLS
    return {"data": _media_answer(record)}


@router.get("/2/media/upload")
def media_status(request: Request) -> dict[str, Any]:
    media_id = request.query_params.get("media_id", "")
    if request.query_params.get("command") != "STATUS":
        raise _invalid("$.command: must be STATUS")
    record = _own_media(request, media_id)
    answer = {"data": _media_answer(record)}
    if record.state.get("polls_left", 0) > 0:
        record.state["polls_left"] -= 1
    return answer


@router.post("/2/media/metadata")
async def media_metadata(request: Request) -> dict[str, Any]:
    body = json.loads(await request.body() or b"{}")
    record = _own_media(request, str(body.get("id")))
    alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
    if not isinstance(alt, str) or len(alt) > 1000:
        raise _invalid("$.metadata.alt_text.text: at most 1000 characters")
    record.body["alt_text"] = alt
    return {"data": {"id": record.id, "associated_metadata": {"alt_text": {"text": alt}}}}


# --- faults ----------------------------------------------------------------------------------


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """X's 429 carries its windows' headers. A wait past the 15-minute window can only be the
    24-hour posting limit: then that window is the exhausted one and says when it resets."""
    if spec.kind == "rate_limit":
        now = time.time()
        headers = {"x-rate-limit-limit": str(WINDOW_LIMIT)}
        if spec.retry_after > WINDOW_SECONDS:
            headers |= {
                "x-rate-limit-remaining": str(WINDOW_LIMIT - 3),
                "x-rate-limit-reset": str(int(now + 60)),
                "x-user-limit-24hour-limit": str(USER_DAY_LIMIT),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(int(now + spec.retry_after)),
            }
        else:
            headers |= {
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(now + spec.retry_after)),
            }
        body = {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        return JSONResponse(body, 429, headers=headers)
    if spec.kind == "unauthorized":
        return JSONResponse(UNAUTHORIZED, 401)
    if spec.kind == "server_error":
        body = {
            "title": "Service Unavailable",
            "detail": "Service Unavailable",
            "type": "about:blank",
            "status": spec.status,
        }
        return JSONResponse(body, spec.status)
    return None
