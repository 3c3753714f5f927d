"""YouTube Data API v3: ``videos.insert`` by resumable upload, ``videos.list``, ``search.list``,
and Google's OAuth token endpoint (``POST /token``, the sandbox's ``token_url``).

Resumable upload (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):

1. ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the video
   resource as JSON and ``X-Upload-Content-Length`` / ``X-Upload-Content-Type``: answers 200
   with the session URL in ``Location``. No video exists yet.
2. ``PUT {session}`` with bytes and ``Content-Range: bytes first-last/total`` (chunks a multiple
   of 256 KiB, the last excepted): ``308 Resume Incomplete`` with ``Range: bytes=0-N`` until the
   last byte, then ``201 Created`` with the video resource. The video exists from then on.
3. ``PUT {session}`` with no body and ``Content-Range: bytes */total`` asks where the upload
   stands: 308 (with ``Range`` if any bytes arrived) or 201 with the video resource.

Errors have Google's shape ``{"error": {"code", "message", "errors": [{"reason", "domain",
"message"}]}}``. The ``rate_limit`` fault answers as YouTube's quota does: 403 ``quotaExceeded``.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, account_of, base_url, bearer, store_of
from sandbox.faults import FaultSpec
from sandbox.forms import urlencoded_form
from sandbox.store import Record, Store

NAME = "youtube"
#: videos resource: ``snippet.title`` at most 100 characters, ``snippet.description`` at most
#: 5,000 bytes, neither with ``<`` or ``>``; ``status.publishAt`` only for private videos.
TITLE_LIMIT = 100
DESCRIPTION_BYTES = 5000
#: Resumable upload guide: every chunk but the last is a multiple of 256 KiB.
CHUNK_GRANULARITY = 256 * 1024
PRIVACY = ("private", "public", "unlisted")
#: videoCategories.list for most regions (a sample: the ones a production would use).
CATEGORIES = {"1", "10", "17", "20", "22", "23", "24", "27", "28"}
UPLOAD_PATH = "/upload/youtube/v3/videos"

router = APIRouter()


def _google_error(
    status: int, reason: str, message: str, domain: str = "youtube.video"
) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


def _refuse(
    status: int, reason: str, message: str, domain: str = "youtube.video"
) -> PlatformAnswer:
    return PlatformAnswer(status, _google_error(status, reason, message, domain))


def _account(request: Request) -> str:
    error = _google_error(
        401,
        "authError",
        "Request had invalid authentication credentials.",
        domain="global",
    )
    return account_of(bearer(request, error=error))


@router.post("/token", response_model=None)
async def token(request: Request) -> dict[str, Any] | Response:
    """Google's refresh answers a new access token and, as Google does, no new refresh token."""
    form = await urlencoded_form(request)
    store = store_of(request)
    if not form.get("client_id") or not form.get("client_secret"):
        return JSONResponse(
            {"error": "invalid_client", "error_description": "The OAuth client was not found."},
            401,
        )
    if form.get("grant_type") != "refresh_token":
        return JSONResponse({"error": "unsupported_grant_type"}, 400)
    refresh = form.get("refresh_token", "")
    if not refresh or store.is_revoked(refresh):
        return JSONResponse(
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            400,
        )
    account = account_of(refresh)
    store.add(NAME, account=account, kind="token", body={"grant_type": "refresh_token"})
    return {
        "access_token": f"{store.issue_token(NAME)}:{account}",
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/youtube.upload",
        "token_type": "Bearer",
    }


@router.post(UPLOAD_PATH, response_model=None)
async def start_upload(request: Request) -> Response:
    account = _account(request)
    params = request.query_params
    if params.get("uploadType") != "resumable":
        raise _refuse(400, "invalidParameter", "uploadType must be resumable here.", "global")
    parts = set((params.get("part") or "").split(","))
    try:
        resource = await request.json()
    except ValueError:
        raise _refuse(400, "parseError", "Parse Error", "global") from None
    if not isinstance(resource, dict):
        raise _refuse(400, "parseError", "The request body must be a video resource.", "global")
    _check_resource(resource, parts)
    size = request.headers.get("x-upload-content-length", "")
    if not size.isdigit() or int(size) <= 0:
        raise _refuse(400, "invalidParameter", "X-Upload-Content-Length is required.", "global")
    kind = request.headers.get("x-upload-content-type", "")
    if not (kind.startswith("video/") or kind == "application/octet-stream"):
        raise _refuse(400, "invalidParameter", "X-Upload-Content-Type must be video/*.", "global")
    store = store_of(request)
    upload_id = secrets.token_urlsafe(18)
    store.add(
        NAME,
        account=account,
        kind="upload",
        body=resource,
        record_id=upload_id,
        state={"size": int(size), "received": 0, "content_type": kind, "chunks": []},
    )
    location = f"{base_url(request)}/{NAME}{UPLOAD_PATH}?uploadType=resumable&upload_id={upload_id}"
    return Response(status_code=200, headers={"Location": location})


def _check_resource(resource: dict[str, Any], parts: set[str]) -> None:
    snippet, status = resource.get("snippet"), resource.get("status") or {}
    if "snippet" not in parts or not isinstance(snippet, dict):
        raise _refuse(400, "invalidTitle", "The request metadata must specify a video title.")
    title, description = snippet.get("title"), snippet.get("description", "")
    if not isinstance(title, str) or not title.strip():
        raise _refuse(400, "invalidTitle", "The request metadata must specify a video title.")
    if len(title) > TITLE_LIMIT or set(title) & set("<>"):
        raise _refuse(400, "invalidTitle", "The request metadata specifies an invalid video title.")
    if not isinstance(description, str) or len(description.encode()) > DESCRIPTION_BYTES:
        raise _refuse(400, "invalidDescription", "The video description is invalid.")
    if set(description) & set("<>"):
        raise _refuse(400, "invalidDescription", "The video description is invalid.")
    tags = snippet.get("tags", [])
    if not isinstance(tags, list) or sum(len(str(t)) for t in tags) + len(tags) - 1 > 500:
        raise _refuse(400, "invalidTags", "The request metadata specifies invalid video keywords.")
    if str(snippet.get("categoryId")) not in CATEGORIES:
        raise _refuse(400, "invalidCategoryId", "The snippet.categoryId property is invalid.")
    if "status" in parts and status:
        if status.get("privacyStatus") not in PRIVACY:
            raise _refuse(400, "invalidVideoMetadata", "The privacyStatus is invalid.")
        if status.get("publishAt") and status.get("privacyStatus") != "private":
            raise _refuse(
                400,
                "invalidPublishAt",
                "The request metadata specifies an invalid scheduled publishing time.",
            )


_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+)")


@router.put(UPLOAD_PATH, response_model=None)
async def upload(request: Request) -> Response:
    """A chunk (``bytes a-b/total``) or a status query (``bytes */total``) on a session."""
    store = store_of(request)
    session = store.get(NAME, request.query_params.get("upload_id", ""), kind="upload")
    if session is None:
        raise _refuse(404, "notFound", "The upload session was not found.", "global")
    match = _RANGE.fullmatch(request.headers.get("content-range", ""))
    data = await request.body()
    state = session.state
    if match is None or int(match[3]) != state["size"]:
        raise _refuse(400, "badContent", "Content-Range is missing or wrong.", "global")
    if "video_id" in state:  # done: any request answers with the video
        return JSONResponse(_video(store.get(NAME, state["video_id"], kind="post")), 201)
    if match[1] is not None:
        first, last = int(match[1]), int(match[2])
        final = last == state["size"] - 1
        if len(data) != last - first + 1 or first > state["received"]:
            raise _refuse(400, "badContent", "The chunk does not continue the upload.", "global")
        if not final and (last + 1 - first) % CHUNK_GRANULARITY:
            raise _refuse(400, "badContent", "Chunks must be multiples of 256 KiB.", "global")
        if first == 0:
            state["head"] = data[:16].hex()
        state["chunks"].append(match[0])
        state["received"] = max(state["received"], last + 1)
    if state["received"] < state["size"]:
        headers = {"Range": f"bytes=0-{state['received'] - 1}"} if state["received"] else {}
        return Response(status_code=308, headers=headers)
    return JSONResponse(_video(_create_video(store, session)), 201)


def _create_video(store: Store, session: Record) -> Record:
    video_id = secrets.token_urlsafe(8)[:11]
    resource = session.body
    post = store.add(
        NAME,
        account=session.account,
        kind="post",
        record_id=video_id,
        body={"text": resource["snippet"]["title"], **resource},
        url=f"https://www.youtube.com/watch?v={video_id}",
    )
    session.state["video_id"] = video_id
    return post


def _video(post: Record | None) -> dict[str, Any]:
    assert post is not None
    status = dict(post.body.get("status") or {})
    return {
        "kind": "youtube#video",
        "etag": secrets.token_hex(8),
        "id": post.id,
        "snippet": {
            **post.body["snippet"],
            "publishedAt": post.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channelId": f"UC{post.account}",
        },
        "status": {"uploadStatus": "uploaded", "privacyStatus": "private", **status},
    }


@router.get("/youtube/v3/videos")
async def videos_list(request: Request) -> dict[str, Any]:
    account = _account(request)
    ids = [i for i in (request.query_params.get("id") or "").split(",") if i]
    if not ids or not request.query_params.get("part"):
        raise _refuse(400, "missingRequiredParameter", "id and part are required.", "global")
    store = store_of(request)
    found = [store.get(NAME, i, kind="post") for i in ids]
    items = [_video(p) for p in found if p is not None and p.account == account]
    return {
        "kind": "youtube#videoListResponse",
        "items": items,
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
    }


@router.get("/youtube/v3/search")
async def search(request: Request) -> dict[str, Any]:
    """``forMine=true&type=video``: the channel's own videos, newest first."""
    account = _account(request)
    params = request.query_params
    if params.get("forMine") != "true" or params.get("type") != "video":
        raise _refuse(400, "invalidSearchFilter", "forMine needs type=video.", "youtube.search")
    limit = int(params.get("maxResults") or 5)
    if not 0 <= limit <= 50:
        raise _refuse(400, "invalidParameter", "maxResults must be 0 to 50.", "global")
    mine = store_of(request).records(NAME, kind="post", account=account)
    mine.sort(key=lambda p: p.created_at, reverse=True)
    items = [
        {
            "kind": "youtube#searchResult",
            "id": {"kind": "youtube#video", "videoId": post.id},
            "snippet": {
                "publishedAt": post.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "title": post.body["snippet"]["title"],
                "description": post.body["snippet"].get("description", "")[:160],
            },
        }
        for post in mine[:limit]
    ]
    return {
        "kind": "youtube#searchListResponse",
        "items": items,
        "pageInfo": {"totalResults": len(mine), "resultsPerPage": limit},
        "regionCode": "US",
    }


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """YouTube's "rate limit" is its daily quota: 403 ``quotaExceeded``, with no wait given."""
    if spec.kind == "rate_limit":
        message = (
            "The request cannot be completed because you have exceeded your "
            '<a href="/youtube/v3/getting-started#quota">quota</a>.'
        )
        return JSONResponse(_google_error(403, "quotaExceeded", message, "youtube.quota"), 403)
    if spec.kind == "unauthorized":
        body = _google_error(
            401, "authError", "Request had invalid authentication credentials.", "global"
        )
        return JSONResponse(body, 401)
    if spec.kind == "server_error":
        body = _google_error(spec.status, "backendError", "Backend Error", "global")
        return JSONResponse(body, spec.status)
    return None
