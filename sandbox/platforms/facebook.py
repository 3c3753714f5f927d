"""Facebook Pages (Graph API): ``/{page-id}/feed``, ``/photos``, ``/videos`` and the token exchange.

- ``POST /{page-id}/feed`` (``message``, ``link``, ``attached_media`` as a JSON list of
  ``{"media_fbid"}``) answers ``{"id": "{page-id}_{post-id}"}``.
- ``POST /{page-id}/photos`` (``url``, ``caption``, ``alt_text_custom``, ``published``) answers
  ``{"id", "post_id"}``; with ``published=false`` the photo is only uploaded, for a later
  ``attached_media``, and the answer has no ``post_id``.
- ``POST /{page-id}/videos`` (``file_url``, ``description``) answers ``{"id"}``.
- ``GET /{page-id}/feed`` and ``/{page-id}/videos`` list newest first (``fields``, ``since``,
  ``limit``, ``paging.next``); ``GET /{object-id}?fields=permalink_url`` for a link.
- ``GET /oauth/access_token?grant_type=fb_exchange_token`` extends a long-lived token; so
  does ``POST /oauth/access_token`` with the same fields as a form, which Callsheet sends.

Errors are Graph errors (code 100 for a bad parameter, 190 for a bad token); a throttled Page
gets code 32 with ``X-Business-Use-Case-Usage`` saying how many minutes until access returns.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import base_url, store_of
from sandbox.platforms._meta import (
    as_bool,
    authorized_params,
    fb_exchange_token,
    graph_time,
    invalid_parameter,
    listing,
    only_fields,
    throttle_shape,
    token_place,
    unknown_object,
)
from sandbox.store import Record, Store

NAME = "facebook"
#: Facebook's limit for a Page post's ``message``.
MESSAGE_LIMIT = 63206

router = APIRouter()


@router.get("/oauth/access_token")
@router.post("/oauth/access_token")
async def access_token(request: Request) -> dict[str, Any]:
    return await fb_exchange_token(request, NAME)


@router.post("/{page_id}/feed")
async def feed_post(page_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    store = store_of(request)
    message, link = params.get("message", ""), params.get("link")
    attached = _attached_photos(store, page_id, params.get("attached_media"))
    if not message.strip() and not link and not attached:
        raise invalid_parameter("(#100) Missing message or attachment")
    _check_message(message)
    body = {"text": message, "message": message, "link": link, "attached_media": attached}
    post = _post(request, page_id, body)
    for photo_id in attached:
        photo = store.get(NAME, photo_id, kind="photo")
        if photo is not None:
            photo.state["post_id"] = post.id
    return {"id": post.id}


@router.post("/{page_id}/photos")
async def photo_post(page_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    url = params.get("url")
    if not url:
        raise invalid_parameter("(#324) Requires upload file")
    caption = params.get("caption", "")
    _check_message(caption)
    store = store_of(request)
    photo = {"url": url, "caption": caption, "alt_text_custom": params.get("alt_text_custom")}
    photo_record = store.add(NAME, account=page_id, kind="photo", body=photo)
    if not as_bool(params.get("published"), True):
        return {"id": photo_record.id}
    post = _post(request, page_id, {"text": caption, "message": caption, "photo": photo})
    photo_record.state["post_id"] = post.id
    return {"id": photo_record.id, "post_id": post.id}


@router.post("/{page_id}/videos")
async def video_post(page_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    file_url = params.get("file_url")
    if not file_url:
        raise invalid_parameter("(#100) file_url or a video file is required")
    description = params.get("description", "")
    _check_message(description)
    store = store_of(request)
    video = store.add(
        NAME, account=page_id, kind="video", body={"file_url": file_url, "description": description}
    )
    video.url = f"{base_url(request)}/{NAME}/{page_id}/videos/{video.id}"
    post = _post(request, page_id, {"text": description, "message": description, "video": video.id})
    video.state["post_id"] = post.id
    return {"id": video.id}


@router.get("/{page_id}/feed")
async def feed(page_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    posts = store_of(request).records(NAME, kind="post", account=page_id)
    return listing(request, params, posts, _render)


@router.get("/{page_id}/videos")
async def videos(page_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    found = store_of(request).records(NAME, kind="video", account=page_id)
    return listing(request, params, found, _render)


@router.get("/{object_id}")
async def read_object(object_id: str, request: Request) -> dict[str, Any]:
    params = await authorized_params(request)
    store = store_of(request)
    record = store.get(NAME, object_id, kind="post") or store.get(NAME, object_id, kind="video")
    if record is None:
        raise unknown_object(object_id)
    return only_fields(_render(record), params)


def _post(request: Request, page_id: str, body: dict[str, Any]) -> Record:
    store = store_of(request)
    record = store.add(
        NAME,
        account=page_id,
        kind="post",
        body=body,
        record_id=f"{page_id}_{store.next_id()}",
        state={"token_in": token_place(request)},
    )
    record.url = f"{base_url(request)}/{NAME}/{page_id}/posts/{record.id.split('_', 1)[1]}"
    return record


def _check_message(message: str) -> None:
    if len(message) > MESSAGE_LIMIT:
        raise invalid_parameter(f"(#100) The message is longer than {MESSAGE_LIMIT} characters")


def _attached_photos(store: Store, page_id: str, raw: str | None) -> list[str]:
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        raise invalid_parameter("(#100) param attached_media must be an array") from None
    ids = []
    for index, item in enumerate(items if isinstance(items, list) else [items]):
        fbid = str(item.get("media_fbid", "")) if isinstance(item, dict) else ""
        photo = store.get(NAME, fbid, kind="photo")
        if photo is None or photo.account != page_id or "post_id" in photo.state:
            raise invalid_parameter(
                f"(#100) param attached_media[{index}] must be an unpublished photo of this Page"
            )
        ids.append(fbid)
    return ids


def _render(record: Record) -> dict[str, Any]:
    """A post as Graph shows it, or a video (whose text is its ``description``)."""
    text = "message" if record.kind == "post" else "description"
    return {
        "id": record.id,
        text: record.body.get(text) or None,
        "created_time": graph_time(record.created_at),
        "permalink_url": record.url,
    }


fault_response = throttle_shape(
    code=32, message="(#32) Page request limit reached", usage_type="pages"
)
