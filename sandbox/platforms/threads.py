"""Threads API (``graph.threads.net``): containers, then publish, and replies for long text.

- ``POST /{user-id}/threads`` makes a container: ``media_type`` ``TEXT``, ``IMAGE``
  (``image_url``), ``VIDEO`` (``video_url``) or ``CAROUSEL`` (``children``: 2 to 20 containers
  made with ``is_carousel_item=true``); ``text`` up to 500 characters; ``alt_text`` on an image
  or video; ``reply_to_id`` makes it a reply. ``user-id`` may be ``me``.
- ``GET /{container-id}?fields=status,error_message``: ``IN_PROGRESS`` → ``FINISHED`` (a video
  takes one poll here), or ``ERROR``, ``EXPIRED``, ``PUBLISHED``.
- ``POST /{user-id}/threads_publish`` with ``creation_id`` → ``{"id"}``.
- ``GET /{user-id}/threads`` (the account's posts) and ``GET /{user-id}/replies`` (its replies,
  with ``replied_to``), newest first; ``GET /{media-id}`` reads one.
- ``GET /{user-id}/threads_publishing_limit``: 250 posts and 1,000 replies per 24 h.
- ``GET /refresh_access_token?grant_type=th_refresh_token`` extends a long-lived token.

Sandbox-only controls: ``POST /_sandbox/containers/{id}`` with ``{"status": ...}`` sets a
container's state; ``POST /_sandbox/quota/{user-id}`` with ``{"used": n, "replies": m}`` spends
quota. Accounts: ``me`` is the token's account (``sandbox.common.account_of``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sandbox.common import account_of, base_url, store_of
from sandbox.platforms._meta import (
    CONTAINER_STATUS_PATTERN,
    as_bool,
    authorized_params,
    carousel_ids,
    exchange,
    find_container,
    graph_error,
    graph_params,
    graph_time,
    graph_token,
    invalid_parameter,
    listing,
    only_fields,
    poll_container,
    required,
    throttle_shape,
    token_place,
)
from sandbox.store import Record, Store

NAME = "threads"
#: Threads API limits.
TEXT_LIMIT = 500
POSTS_PER_DAY, REPLIES_PER_DAY = 250, 1000
QUOTA_SECONDS = 86400
CAROUSEL_MIN, CAROUSEL_MAX = 2, 20
VIDEO_POLLS = 1

router = APIRouter()


class ContainerState(BaseModel):
    status: str = Field(pattern=CONTAINER_STATUS_PATTERN)


class QuotaSpent(BaseModel):
    used: int = Field(default=0, ge=0)
    replies: int = Field(default=0, ge=0)


@router.post("/_sandbox/containers/{container_id}", status_code=204)
def set_container(container_id: str, body: ContainerState, request: Request) -> None:
    container = _container(store_of(request), container_id)
    container.state.update(status=body.status, polls_left=0)


@router.post("/_sandbox/quota/{user_id}", status_code=204)
def spend_quota(user_id: str, body: QuotaSpent, request: Request) -> None:
    store_of(request).add(NAME, account=user_id, kind="quota", body=body.model_dump())


@router.get("/refresh_access_token")
async def refresh_access_token(request: Request) -> dict[str, Any]:
    params = await graph_params(request)
    if params.get("grant_type") != "th_refresh_token":
        raise invalid_parameter("Unsupported grant_type")
    return exchange(
        store_of(request),
        NAME,
        revoked_message="Error validating access token: Session has expired.",
        token=params.get("access_token"),
    )


@router.post("/{user_id}/threads")
async def create_container(user_id: str, request: Request) -> dict[str, Any]:
    params, account = await _call(request, user_id)
    store = store_of(request)
    media_type = params.get("media_type", "").upper()
    text = params.get("text", "")
    item = as_bool(params.get("is_carousel_item"), False)
    if len(text) > TEXT_LIMIT:
        raise invalid_parameter(f"The text is longer than {TEXT_LIMIT} characters")
    body: dict[str, Any] = {"media_type": media_type, "text": text, "is_carousel_item": item}
    if media_type == "TEXT":
        if not text.strip():
            raise invalid_parameter("A TEXT post needs text")
    elif media_type == "IMAGE":
        body.update(image_url=required(params, "image_url"), alt_text=params.get("alt_text"))
    elif media_type == "VIDEO":
        body.update(video_url=required(params, "video_url"), alt_text=params.get("alt_text"))
    elif media_type == "CAROUSEL":
        body["children"] = _children(store, account, params.get("children", ""))
    else:
        raise invalid_parameter("media_type must be TEXT, IMAGE, VIDEO or CAROUSEL")
    reply_to = params.get("reply_to_id")
    if reply_to:
        if store.get(NAME, reply_to, kind="post") is None:
            raise invalid_parameter(f"reply_to_id {reply_to} is not a Threads post", subcode=33)
        body["reply_to_id"] = reply_to
    video = media_type == "VIDEO"
    container = store.add(
        NAME,
        account=account,
        kind="container",
        body=body,
        state={"status": "IN_PROGRESS" if video else "FINISHED", "polls_left": int(video)},
    )
    return {"id": container.id}


@router.post("/{user_id}/threads_publish")
async def publish(user_id: str, request: Request) -> dict[str, Any]:
    params, account = await _call(request, user_id)
    store = store_of(request)
    container = _container(store, required(params, "creation_id"), owner=account)
    status = container.state["status"]
    if status != "FINISHED" or container.body.get("is_carousel_item"):
        raise graph_error(400, f"The media cannot be published (status {status})", code=24)
    body = container.body
    reply = "reply_to_id" in body
    used, total = _used(store, account, replies=reply), REPLIES_PER_DAY if reply else POSTS_PER_DAY
    if used >= total:
        raise graph_error(400, "You have reached the publishing limit for 24 hours", code=4)
    children = [store.get(NAME, c, kind="container") for c in body.get("children", [])]
    post = store.add(
        NAME,
        account=account,
        kind="post",
        body={
            "text": body["text"],
            "media_type": body["media_type"],
            "media": [_medium(c) for c in children if c] or _media_of(container),
            "reply_to_id": body.get("reply_to_id"),
            "creation_id": container.id,
        },
        state={"token_in": token_place(request)},
    )
    post.url = f"{base_url(request)}/{NAME}/@{account}/post/{post.id}"
    container.state.update(status="PUBLISHED", media_id=post.id)
    return {"id": post.id}


@router.get("/{user_id}/threads_publishing_limit")
async def publishing_limit(user_id: str, request: Request) -> dict[str, Any]:
    _, account = await _call(request, user_id)
    store = store_of(request)
    return {
        "data": [
            {
                "quota_usage": _used(store, account, replies=False),
                "config": {"quota_total": POSTS_PER_DAY, "quota_duration": QUOTA_SECONDS},
                "reply_quota_usage": _used(store, account, replies=True),
                "reply_config": {"quota_total": REPLIES_PER_DAY, "quota_duration": QUOTA_SECONDS},
            }
        ]
    }


@router.get("/{user_id}/threads")
async def threads_listing(user_id: str, request: Request) -> dict[str, Any]:
    params, account = await _call(request, user_id)
    posts = [p for p in _posts(store_of(request), account) if not p.body.get("reply_to_id")]
    return listing(request, params, posts, _render)


@router.get("/{user_id}/replies")
async def replies_listing(user_id: str, request: Request) -> dict[str, Any]:
    params, account = await _call(request, user_id)
    replies = [p for p in _posts(store_of(request), account) if p.body.get("reply_to_id")]
    return listing(request, params, replies, _render)


@router.get("/{object_id}")
async def read_object(object_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    store = store_of(request)
    post = store.get(NAME, object_id, kind="post")
    if post is not None:
        rendered = _render(post)
    else:
        container = _container(store, object_id)
        status = poll_container(container, "status")
        rendered = {"id": container.id, "status": status}
        if status == "ERROR":
            rendered["error_message"] = "FAILED_DOWNLOADING_VIDEO"
    return only_fields(rendered, params)


async def _call(request: Request, user_id: str) -> tuple[dict[str, str], str]:
    """The request's parameters and whose edge it is: ``me`` is the token's account."""
    params = await graph_params(request)
    token = graph_token(request, params)
    return params, account_of(token) if user_id == "me" else user_id


def _posts(store: Store, account: str) -> list[Record]:
    return store.records(NAME, kind="post", account=account)


def _used(store: Store, account: str, *, replies: bool) -> int:
    since = datetime.now(UTC) - timedelta(seconds=QUOTA_SECONDS)
    made = [
        p
        for p in _posts(store, account)
        if p.created_at >= since and bool(p.body.get("reply_to_id")) == replies
    ]
    spent = store.records(NAME, kind="quota", account=account)
    return len(made) + sum(int(q.body["replies" if replies else "used"]) for q in spent)


def _container(store: Store, container_id: str, *, owner: str | None = None) -> Record:
    return find_container(store, NAME, container_id, owner=owner, lead="", end="")


def _children(store: Store, owner: str, raw: str) -> list[str]:
    ids = carousel_ids(raw, least=CAROUSEL_MIN, most=CAROUSEL_MAX)
    for child_id in ids:
        child = _container(store, child_id, owner=owner)
        if not child.body.get("is_carousel_item") or child.state["status"] != "FINISHED":
            raise invalid_parameter(f"Child {child_id} is not a finished carousel item")
    return ids


def _medium(container: Record) -> dict[str, Any]:
    body = container.body
    url = body.get("image_url") or body.get("video_url")
    return {"media_type": body["media_type"], "url": url, "alt_text": body.get("alt_text")}


def _media_of(container: Record) -> list[dict[str, Any]]:
    return [] if container.body["media_type"] == "TEXT" else [_medium(container)]


def _render(record: Record) -> dict[str, Any]:
    reply_to = record.body.get("reply_to_id")
    return {
        "id": record.id,
        "text": record.body.get("text") or None,
        "media_type": record.body.get("media_type"),
        "timestamp": graph_time(record.created_at),
        "permalink": record.url,
        "is_reply": bool(reply_to),
        "replied_to": {"id": reply_to} if reply_to else None,
    }


fault_response = throttle_shape(
    code=613, message="Calls to this api have exceeded the rate limit.", usage_type=None
)
