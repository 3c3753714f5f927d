"""X's media endpoints: one-shot image upload, chunked video upload and its processing, alt text.

- ``POST /2/media/upload`` (multipart ``media``, ``media_category``) for images;
- ``POST /2/media/upload/initialize`` → ``/{id}/append`` (``segment_index``, ``media``) →
  ``/{id}/finalize`` for video, whose ``processing_info`` is then polled with
  ``GET /2/media/upload?command=STATUS&media_id=…`` until ``succeeded``;
- ``POST /2/media/metadata`` (``{"id", "metadata": {"alt_text": {"text"}}}``) sets alt text.

Also the rule a post's ``media.media_ids`` must meet (``attachable``): the caller's own, ready
media, at most 4 images or one video.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import store_of
from sandbox.forms import multipart_form
from sandbox.platforms.x.common import NAME, caller, invalid
from sandbox.store import Record, Store

#: X media rules: at most 4 images, or one video, per post.
MAX_IMAGES = 4
#: Status polls a video answers ``in_progress`` before ``succeeded`` (ours, to rehearse the wait).
VIDEO_PROCESSING_POLLS = 1

router = APIRouter()


def attachable(store: Store, handle: str, media_ids: list[str]) -> None:
    """Refuse a post's media unless all are the caller's, ready, and few enough."""
    found = []
    for media_id in media_ids:
        record = store.get(NAME, media_id, kind="media")
        if record is None or record.account != handle or not _ready(record):
            raise invalid(f"$.media.media_ids: Your media IDs are invalid ({media_id}).")
        found.append(record)
    videos = [m for m in found if m.body["category"] != "tweet_image"]
    if len(found) > MAX_IMAGES or (videos and len(found) > 1):
        raise invalid("$.media.media_ids: at most 4 images or 1 video or GIF")


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
    handle = caller(request)
    form = await multipart_form(request)
    if form is None or "media" not in form or not form["media"].data:
        raise invalid("$.media: media is required")
    category = form["media_category"].text if "media_category" in form else "tweet_image"
    if category != "tweet_image":
        raise invalid("$.media_category: use the chunked upload for video and GIF")
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
    handle = caller(request)
    body = json.loads(await request.body() or b"{}")
    if not isinstance(body.get("total_bytes"), int) or not body.get("media_type"):
        raise invalid("$.total_bytes and $.media_type are required")
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
    handle = caller(request)
    record = store_of(request).get(NAME, media_id, kind="media")
    if record is None or record.account != handle:
        raise invalid(f"$.id: media {media_id} not found")
    return record


@router.post("/2/media/upload/{media_id}/append")
async def append(media_id: str, request: Request) -> dict[str, Any]:
    record = _own_media(request, media_id)
    form = await multipart_form(request)
    if form is None or "media" not in form or "segment_index" not in form:
        raise invalid("$.media and $.segment_index are required")
    record.state["received"] += len(form["media"].data)
    record.state["segments"].append(int(form["segment_index"].text))
    expires = datetime.now(UTC) + timedelta(days=1)
    return {"data": {"expires_at": int(expires.timestamp())}}


@router.post("/2/media/upload/{media_id}/finalize")
def finalize(media_id: str, request: Request) -> dict[str, Any]:
    record = _own_media(request, media_id)
    if record.state["received"] != record.body["total_bytes"]:
        raise invalid(
            f"$.total_bytes: received {record.state['received']} of {record.body['total_bytes']}"
        )
    record.state["finalized"] = True
    record.state["polls_left"] = VIDEO_PROCESSING_POLLS
    return {"data": _media_answer(record)}


@router.get("/2/media/upload")
def media_status(request: Request) -> dict[str, Any]:
    media_id = request.query_params.get("media_id", "")
    if request.query_params.get("command") != "STATUS":
        raise invalid("$.command: must be STATUS")
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
        raise invalid("$.metadata.alt_text.text: at most 1000 characters")
    record.body["alt_text"] = alt
    return {"data": {"id": record.id, "associated_metadata": {"alt_text": {"text": alt}}}}
