"""Instagram content publishing (Graph API with Facebook Login): containers, then publish.

- ``POST /{ig-user-id}/media`` makes a *container*: ``image_url`` (JPEG, fetched by Instagram),
  ``caption``, ``alt_text``; ``media_type=REELS`` with ``video_url`` for a video; carousel items
  with ``is_carousel_item=true`` (``media_type=VIDEO`` for a video item), then
  ``media_type=CAROUSEL`` with ``children`` (2 to 10 container ids, comma-separated).
- ``GET /{container-id}?fields=status_code,status``: ``IN_PROGRESS`` → ``FINISHED`` (a video
  takes one poll here), or ``ERROR``, ``EXPIRED`` (unpublished for 24 h), ``PUBLISHED``.
- ``POST /{ig-user-id}/media_publish`` with ``creation_id`` publishes a FINISHED container;
  before that, code 9007 subcode 2207027 ("not ready"); past the quota, code 9 subcode 2207042.
- ``GET /{ig-user-id}/content_publishing_limit``: ``quota_usage`` of 50 per rolling 24 h.
- ``GET /{ig-user-id}/media`` lists published media newest first; ``GET /{media-id}`` reads one.
- ``GET /oauth/access_token?grant_type=fb_exchange_token`` extends a long-lived token; so
  does ``POST /oauth/access_token`` with the same fields as a form, which Callsheet sends.

Sandbox-only controls (no platform has these): ``POST /_sandbox/containers/{id}`` with
``{"status_code": ...}`` sets a container's state (to rehearse ERROR and EXPIRED), and
``POST /_sandbox/quota/{ig-user-id}`` with ``{"used": n}`` spends quota as if n posts were made.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sandbox.common import base_url, store_of
from sandbox.platforms._meta import (
    CONTAINER_STATUS_PATTERN,
    as_bool,
    authorized_params,
    carousel_ids,
    fb_exchange_token,
    find_container,
    graph_error,
    graph_time,
    invalid_parameter,
    listing,
    only_fields,
    poll_container,
    required,
    throttle_shape,
    token_place,
)
from sandbox.store import Record, Store

NAME = "instagram"
#: Instagram's content publishing limits.
CAPTION_LIMIT = 2200
QUOTA_TOTAL = 50
QUOTA_SECONDS = 86400
CAROUSEL_MIN, CAROUSEL_MAX = 2, 10
#: Polls a video container answers IN_PROGRESS before it is FINISHED (processing, shortened).
VIDEO_POLLS = 1

router = APIRouter()


class ContainerState(BaseModel):
    status_code: str = Field(pattern=CONTAINER_STATUS_PATTERN)


class QuotaSpent(BaseModel):
    used: int = Field(ge=0)


@router.post("/_sandbox/containers/{container_id}", status_code=204)
def set_container(container_id: str, body: ContainerState, request: Request) -> None:
    container = _container(store_of(request), container_id)
    container.state.update(status_code=body.status_code, polls_left=0)


@router.post("/_sandbox/quota/{ig_user_id}", status_code=204)
def spend_quota(ig_user_id: str, body: QuotaSpent, request: Request) -> None:
    store_of(request).add(NAME, account=ig_user_id, kind="quota", body={"used": body.used})


@router.get("/oauth/access_token")
@router.post("/oauth/access_token")
async def access_token(request: Request) -> dict[str, Any]:
    return await fb_exchange_token(request, NAME)


@router.post("/{ig_user_id}/media")
async def create_container(ig_user_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    store = store_of(request)
    item = as_bool(params.get("is_carousel_item"), False)
    media_type = params.get("media_type", "IMAGE").upper()
    caption = params.get("caption", "")
    if len(caption) > CAPTION_LIMIT:
        raise invalid_parameter(f"The caption is longer than {CAPTION_LIMIT} characters")
    body: dict[str, Any] = {"media_type": media_type, "caption": caption, "is_carousel_item": item}
    if media_type == "CAROUSEL":
        body["children"] = _children(store, ig_user_id, params.get("children", ""))
    elif media_type == "IMAGE":
        body["image_url"] = required(params, "image_url")
        body["alt_text"] = params.get("alt_text")
    elif media_type == "REELS" or (media_type == "VIDEO" and item):
        body["video_url"] = required(params, "video_url")
    elif media_type == "VIDEO":
        raise invalid_parameter(
            "The VIDEO media type is no longer supported for feed posts; use REELS", subcode=2207023
        )
    else:
        raise invalid_parameter(f"Unsupported media_type {media_type}")
    video = "video_url" in body
    container = store.add(
        NAME,
        account=ig_user_id,
        kind="container",
        body=body,
        state={
            "status_code": "IN_PROGRESS" if video else "FINISHED",
            "polls_left": VIDEO_POLLS if video else 0,
        },
    )
    return {"id": container.id}


@router.post("/{ig_user_id}/media_publish")
async def publish(ig_user_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    store = store_of(request)
    container = _container(store, required(params, "creation_id"), owner=ig_user_id)
    status = container.state["status_code"]
    if status == "IN_PROGRESS":
        raise graph_error(
            400,
            "The media is not ready for publishing, please wait for a moment",
            code=9007,
            subcode=2207027,
        )
    if status != "FINISHED" or container.body.get("is_carousel_item"):
        raise graph_error(400, f"The media cannot be published (status {status})", code=9007)
    if _quota_used(store, ig_user_id) >= QUOTA_TOTAL:
        raise graph_error(
            400,
            "Application request limit reached",
            code=9,
            subcode=2207042,
        )
    body = container.body
    media = [_medium(store.get(NAME, c, kind="container")) for c in body.get("children", [])]
    post = store.add(
        NAME,
        account=ig_user_id,
        kind="post",
        body={
            "text": body["caption"],
            "caption": body["caption"],
            "media_type": body["media_type"],
            "media": media or [_medium(container)],
            "creation_id": container.id,
        },
        state={"token_in": token_place(request)},
    )
    post.url = f"{base_url(request)}/{NAME}/p/{post.id}"
    container.state.update(status_code="PUBLISHED", media_id=post.id)
    return {"id": post.id}


@router.get("/{ig_user_id}/content_publishing_limit")
async def publishing_limit(ig_user_id: str, request: Request) -> dict[str, Any]:
    await authorized_params(request)
    used = _quota_used(store_of(request), ig_user_id)
    config = {"quota_total": QUOTA_TOTAL, "quota_duration": QUOTA_SECONDS}
    return {"data": [{"quota_usage": used, "config": config}]}


@router.get("/{ig_user_id}/media")
async def media_listing(ig_user_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    posts = store_of(request).records(NAME, kind="post", account=ig_user_id)
    return listing(request, params, posts, _render_media)


@router.get("/{object_id}")
async def read_object(object_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    store = store_of(request)
    post = store.get(NAME, object_id, kind="post")
    if post is not None:
        rendered = _render_media(post)
    else:
        container = _container(store, object_id)
        status = poll_container(container, "status_code")
        rendered = {
            "id": container.id,
            "status_code": status,
            "status": f"Error: {_ERROR_STATUS}" if status == "ERROR" else status.title(),
        }
    return only_fields(rendered, params)


_ERROR_STATUS = "Media download has failed. The media URI doesn't meet our requirements."


def _container(store: Store, container_id: str, *, owner: str | None = None) -> Record:
    return find_container(
        store, NAME, container_id, owner=owner, lead="Unsupported request. ", end="."
    )


def _children(store: Store, owner: str, raw: str) -> list[str]:
    ids = carousel_ids(raw, least=CAROUSEL_MIN, most=CAROUSEL_MAX)
    for child_id in ids:
        child = _container(store, child_id, owner=owner)
        if not child.body.get("is_carousel_item"):
            raise invalid_parameter(f"Container {child_id} was not made as a carousel item")
        if child.state["status_code"] != "FINISHED":
            raise graph_error(
                400, f"Child {child_id} is not ready; wait until it is FINISHED", code=9007
            )
    return ids


def _medium(container: Record | None) -> dict[str, Any]:
    if container is None:
        return {}
    body = container.body
    if "video_url" in body:
        return {"video_url": body["video_url"]}
    return {"image_url": body.get("image_url"), "alt_text": body.get("alt_text")}


def _quota_used(store: Store, ig_user_id: str) -> int:
    since = datetime.now(UTC) - timedelta(seconds=QUOTA_SECONDS)
    posts = [
        r for r in store.records(NAME, kind="post", account=ig_user_id) if r.created_at >= since
    ]
    spent = sum(int(r.body["used"]) for r in store.records(NAME, kind="quota", account=ig_user_id))
    return len(posts) + spent


def _render_media(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "caption": record.body.get("caption") or None,
        "media_type": record.body.get("media_type"),
        "timestamp": graph_time(record.created_at),
        "permalink": record.url,
    }


fault_response = throttle_shape(
    code=80002,
    message="There have been too many calls to this Instagram account. Wait a bit and try again.",
    usage_type="instagram",
)
