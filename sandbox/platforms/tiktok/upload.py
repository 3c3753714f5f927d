"""TikTok's Media Transfer: the chunk rules a file upload must follow, and its upload URL.

``video/init`` with ``FILE_UPLOAD`` declares ``video_size``, ``chunk_size`` and
``total_chunk_count`` (checked by ``chunk_plan``); the bytes then go to the upload URL,
``PUT /video/?upload_id=…&upload_token=…``, one chunk per request with ``Content-Range``: 206
until the last chunk, then 201, and the video goes on to processing (see ``status``).
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from fastapi import APIRouter, Request, Response

from sandbox.common import store_of
from sandbox.platforms.tiktok.common import NAME, refuse
from sandbox.platforms.tiktok.status import complete
from sandbox.store import Record, Store

#: Content Posting API, "Media Transfer Guide": chunks of 5 MB to 64 MB (the last up to 128 MB),
#: a video under 5 MB in one chunk, 1 to 1,000 chunks.
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
MAX_LAST_CHUNK = 128 * 1024 * 1024
MAX_CHUNKS = 1000

_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")

router = APIRouter()


def _positive(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def chunk_plan(source_info: dict[str, Any]) -> dict[str, int]:
    """The declared sizes of a file upload, or the ``invalid_params`` TikTok answers."""
    size, chunk, count = (
        source_info.get(k) for k in ("video_size", "chunk_size", "total_chunk_count")
    )
    if not (_positive(size) and _positive(chunk) and _positive(count)):
        raise refuse(
            400, "invalid_params", "video_size, chunk_size and total_chunk_count are required."
        )
    problem = None
    if size < MIN_CHUNK and chunk != size:
        problem = "A video under 5 MB must be uploaded whole (chunk_size = video_size)."
    elif size >= MIN_CHUNK and not MIN_CHUNK <= chunk <= MAX_CHUNK:
        problem = "chunk_size must be between 5 MB and 64 MB (a video over 64 MB goes in chunks)."
    elif count != size // chunk or not 1 <= count <= MAX_CHUNKS:
        problem = "total_chunk_count must be video_size / chunk_size, rounded down (1 to 1000)."
    elif size - chunk * (count - 1) > MAX_LAST_CHUNK:
        problem = "The final chunk may not exceed 128 MB."
    if problem:
        raise refuse(400, "invalid_params", problem)
    return {"video_size": size, "chunk_size": chunk, "total_chunk_count": count}


@router.put("/video/", response_model=None)
async def upload(request: Request) -> Response:
    """The upload URL: chunks in order; a chunk sent again (its answer was lost) is accepted."""
    store = store_of(request)
    session = _upload_session(store, request.query_params.get("upload_id"))
    if session is None or request.query_params.get("upload_token") != session.state["upload_token"]:
        raise refuse(404, "invalid_params", "The upload URL is not valid.")
    if session.state["status"] != "PROCESSING_UPLOAD":
        raise refuse(400, "invalid_params", "The upload is already complete.")
    match = _RANGE.fullmatch(request.headers.get("content-range", ""))
    data = await request.body()
    size, chunk, count = (
        session.state[k] for k in ("video_size", "chunk_size", "total_chunk_count")
    )
    if match is None or int(match[3]) != size:
        raise refuse(400, "invalid_file_upload", "Content-Range is missing or wrong.")
    first, last = int(match[1]), int(match[2])
    index = first // chunk
    expected_last = size - 1 if index == count - 1 else first + chunk - 1
    if first % chunk or index >= count or last != expected_last or len(data) != last - first + 1:
        raise refuse(400, "invalid_file_upload", "The chunk does not match chunk_size.")
    if first > session.state["uploaded_bytes"]:
        raise refuse(400, "invalid_file_upload", "Chunks must be uploaded in order.")
    if not request.headers.get("content-type", "").startswith("video/"):
        raise refuse(400, "invalid_file_upload", "Content-Type must be the video's MIME type.")
    if first == 0:
        session.state["head"] = data[:16].hex()
    session.state.setdefault("chunks", []).append(
        {"content_range": match[0], "content_type": request.headers["content-type"]}
    )
    session.state["uploaded_bytes"] = last + 1
    if last + 1 < size:
        return Response(status_code=206)
    complete(store, session)
    return Response(status_code=201)


def _upload_session(store: Store, upload_id: str | None) -> Record | None:
    for record in store.records(NAME, kind="publish"):
        if record.state.get("upload_id") == upload_id:
            return record
    return None
