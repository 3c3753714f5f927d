"""LinkedIn's Images and Videos APIs: registering an upload, sending its bytes, finishing it.

- ``POST /rest/images?action=initializeUpload`` → ``uploadUrl`` and ``image`` URN; the bytes
  are PUT to the URL.
- ``POST /rest/videos?action=initializeUpload`` (``fileSizeBytes``) → ``uploadInstructions``
  (4 MiB parts), each PUT answers an ``ETag``; ``action=finalizeUpload`` with the ETags in order
  makes the video usable.

An upload is ``AVAILABLE`` (usable in a post) once its bytes are in, and finalized for a video.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from sandbox.common import PlatformAnswer, base_url, bearer, store_of
from sandbox.platforms.linkedin.common import (
    AUTHOR,
    NAME,
    UNAUTHORIZED,
    invalid,
    json_body,
    rest,
)

VIDEO_PART_BYTES = 4 * 1024 * 1024

router = APIRouter()


@router.post("/rest/images")
async def images(request: Request) -> dict[str, Any]:
    headers = rest(request)
    if request.query_params.get("action") != "initializeUpload":
        raise invalid("/action", "action must be initializeUpload")
    owner = _owner(await json_body(request))
    store = store_of(request)
    number = store.next_id()
    urn = f"urn:li:image:C4E10AQ{number}"
    store.add(
        NAME,
        account=owner,
        kind="image",
        body={},
        record_id=urn,
        state={"status": "WAITING_UPLOAD", **headers},
    )
    return {
        "value": {
            "uploadUrlExpiresAt": _expiry(),
            "uploadUrl": f"{base_url(request)}/{NAME}/dms-uploads/{number}?asset={urn}",
            "image": urn,
        }
    }


@router.post("/rest/videos")
async def videos(request: Request) -> dict[str, Any]:
    headers = rest(request)
    action = request.query_params.get("action")
    body = await json_body(request)
    store = store_of(request)
    if action == "initializeUpload":
        owner = _owner(body)
        size = body["initializeUploadRequest"].get("fileSizeBytes")
        if not isinstance(size, int) or size <= 0:
            raise invalid("/initializeUploadRequest/fileSizeBytes", "fileSizeBytes is required")
        number = store.next_id()
        urn = f"urn:li:video:C5505AQ{number}"
        parts = [
            (start, min(start + VIDEO_PART_BYTES, size) - 1)
            for start in range(0, size, VIDEO_PART_BYTES)
        ]
        store.add(
            NAME,
            account=owner,
            kind="video",
            body={"fileSizeBytes": size},
            record_id=urn,
            state={"status": "WAITING_UPLOAD", "etags": [None] * len(parts), **headers},
        )
        root = f"{base_url(request)}/{NAME}/dms-uploads/{number}"
        instructions = [
            {"uploadUrl": f"{root}?asset={urn}&part={index}", "firstByte": first, "lastByte": last}
            for index, (first, last) in enumerate(parts)
        ]
        return {
            "value": {
                "uploadUrlsExpireAt": _expiry(),
                "video": urn,
                "uploadInstructions": instructions,
                "uploadToken": "",
            }
        }
    if action == "finalizeUpload":
        request_body = body.get("finalizeUploadRequest") or {}
        video = store.get(NAME, str(request_body.get("video")), kind="video")
        if video is None:
            raise invalid("/finalizeUploadRequest/video", "no such video upload")
        if request_body.get("uploadedPartIds") != video.state["etags"]:
            raise invalid(
                "/finalizeUploadRequest/uploadedPartIds", "the part ids do not match the parts"
            )
        video.state["status"] = "AVAILABLE"
        return {}
    raise invalid("/action", "action must be initializeUpload or finalizeUpload")


@router.put("/dms-uploads/{number}")
async def upload(number: str, request: Request) -> Response:
    bearer(request, error=UNAUTHORIZED)
    store = store_of(request)
    asset = store.get(NAME, request.query_params.get("asset", ""), kind=None)
    data = await request.body()
    if asset is None or not data:
        raise PlatformAnswer(400, {"status": 400, "message": "Bad upload"})
    if asset.kind == "image":
        asset.state.update(status="AVAILABLE", bytes=len(data))
        return Response(status_code=201)
    index = int(request.query_params.get("part", "0"))
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
    asset.state["etags"][index] = etag
    return Response(status_code=200, headers={"ETag": etag})


def _owner(body: dict[str, Any]) -> str:
    owner = (body.get("initializeUploadRequest") or {}).get("owner")
    if not isinstance(owner, str) or not AUTHOR.match(owner):
        raise invalid(
            "/initializeUploadRequest/owner", "owner must be an organization or person URN"
        )
    return owner


def _expiry() -> int:
    return int((datetime.now(UTC) + timedelta(hours=1)).timestamp() * 1000)
