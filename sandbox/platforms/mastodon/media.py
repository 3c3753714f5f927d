"""Mastodon's media attachments: uploading one, waiting for a video, and attaching them.

- ``POST /api/v2/media`` (multipart ``file``, ``description``): images answer 200 with a
  ``url``; videos answer 202 with ``url: null`` and are processed in the background, and
- ``GET /api/v1/media/:id`` answers 206 until they are ready, then 200.

A status that refers to unprocessed media is refused with 422 (``attachable``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, base_url, store_of
from sandbox.forms import multipart_form
from sandbox.platforms.mastodon.common import NAME, NOT_FOUND, caller
from sandbox.platforms.mastodon.instance import DESCRIPTION_LIMIT, MAX_MEDIA_ATTACHMENTS
from sandbox.store import Record, Store

#: Status polls a video answers with 206 before it is processed (ours, to rehearse the wait).
VIDEO_PROCESSING_POLLS = 1

router = APIRouter()


@router.post("/api/v2/media", response_model=None)
async def upload_media(request: Request) -> Response:
    handle = caller(request)
    form = await multipart_form(request)
    if form is None or "file" not in form or not form["file"].data:
        raise PlatformAnswer(422, {"error": "Validation failed: File can't be blank"})
    upload = form["file"]
    kind = _media_type(upload.content_type or "")
    if kind is None:
        raise PlatformAnswer(422, {"error": "Validation failed: File content type is invalid"})
    description = form["description"].text if "description" in form else None
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise PlatformAnswer(
            422,
            {
                "error": "Validation failed: Description is too long "
                f"(maximum is {DESCRIPTION_LIMIT} characters)"
            },
        )
    store = store_of(request)
    media_id = store.next_id()
    url = f"{base_url(request)}/{NAME}/system/media_attachments/{media_id}/original"
    processing = VIDEO_PROCESSING_POLLS if kind == "video" else 0
    record = store.add(
        NAME,
        account=handle,
        kind="media",
        record_id=media_id,
        url=url,
        body={
            "type": kind,
            "description": description,
            "filename": upload.filename,
            "content_type": upload.content_type,
            "size": len(upload.data),
        },
        state={"polls_left": processing, "status_id": None},
    )
    status = 202 if processing else 200
    return JSONResponse(media_entity(record), status_code=status)


def _media_type(content_type: str) -> str | None:
    major = content_type.split("/", 1)[0].lower()
    return {"image": "image", "video": "video"}.get(major)


def media_entity(record: Record) -> dict[str, Any]:
    """An upload as Mastodon's ``MediaAttachment`` entity shows it (no URL while processing)."""
    ready = record.state.get("polls_left", 0) <= 0
    return {
        "id": record.id,
        "type": record.body["type"],
        "url": record.url if ready else None,
        "preview_url": f"{record.url}/small" if ready else None,
        "remote_url": None,
        "description": record.body.get("description"),
        "meta": {},
        "blurhash": None,
    }


@router.get("/api/v1/media/{media_id}", response_model=None)
def media_status(media_id: str, request: Request) -> Response:
    handle = caller(request)
    store = store_of(request)
    record = store.get(NAME, media_id, kind="media")
    if record is None or record.account != handle:
        raise PlatformAnswer(404, NOT_FOUND)
    if record.state.get("polls_left", 0) > 0:
        record.state["polls_left"] -= 1
        return JSONResponse(media_entity(record), status_code=206)
    return JSONResponse(media_entity(record))


def attachable(store: Store, handle: str, media_ids: list[str]) -> list[Record]:
    """The caller's unattached, processed media, or the 422 Mastodon gives."""
    if len(media_ids) > MAX_MEDIA_ATTACHMENTS:
        raise PlatformAnswer(
            422, {"error": f"Cannot attach more than {MAX_MEDIA_ATTACHMENTS} files"}
        )
    found = []
    for media_id in media_ids:
        record = store.get(NAME, media_id, kind="media")
        if record is None or record.account != handle or record.state.get("status_id"):
            raise PlatformAnswer(422, {"error": f"Media {media_id} not found"})
        if record.state.get("polls_left", 0) > 0:
            raise PlatformAnswer(
                422,
                {
                    "error": "Cannot attach files that have not finished processing. "
                    "Try again in a moment!"
                },
            )
        found.append(record)
    kinds = {record.body["type"] for record in found}
    if "video" in kinds and len(found) > 1:
        raise PlatformAnswer(
            422, {"error": "Cannot attach a video to a post that already contains images"}
        )
    return found
