"""LinkedIn's versioned REST API (``/rest/...``): Posts, Images, Videos, and the OAuth endpoint.

- Every ``/rest`` call needs ``LinkedIn-Version: YYYYMM`` (else 400 ``VERSION_MISSING``) and,
  here, ``X-Restli-Protocol-Version: 2.0.0``; both are kept on each record to check.
- ``POST /rest/posts`` (``author``, ``commentary`` in the little text format, ``visibility``,
  ``distribution``, ``lifecycleState``, optional ``content.media`` or ``content.multiImage``)
  answers 201 with an empty body and the new URN in ``x-restli-id``. The same author posting
  the same commentary and content again gets 422 ``DUPLICATE_POST`` naming the existing post.
- ``GET /rest/posts?q=author&author=…&count=&start=&sortBy=CREATED`` lists an author's posts.
- ``POST /rest/images?action=initializeUpload`` → ``uploadUrl`` and ``image`` URN; the bytes
  are PUT to the URL. ``POST /rest/videos?action=initializeUpload`` (``fileSizeBytes``) →
  ``uploadInstructions`` (4 MiB parts), each PUT answers an ``ETag``;
  ``action=finalizeUpload`` with the ETags in order makes the video usable.
- ``POST /oauth/v2/accessToken`` (``grant_type=refresh_token``) issues a new access token and
  returns the same refresh token, as LinkedIn does; a revoked one is 400 ``invalid_grant``.

Errors have LinkedIn's shapes: ``{"status", "serviceErrorCode", "code", "message"}`` for 401,
403 and 429 (a 429 with no ``Retry-After``: daily limits reset at midnight UTC), and
``{"errorDetailType", "message", "errorDetails": {"inputErrors": [...]}, "status"}`` for 4xx
validation errors.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, base_url, bearer, store_of
from sandbox.faults import FaultSpec
from sandbox.store import Record, Store

NAME = "linkedin"
#: LinkedIn limits and shapes.
COMMENTARY_LIMIT = 3000
VIDEO_PART_BYTES = 4 * 1024 * 1024
MULTI_IMAGE_MIN, MULTI_IMAGE_MAX = 2, 20
ACCESS_TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_TOKEN_SECONDS = 365 * 24 * 3600
AUTHOR = re.compile(r"^urn:li:(organization|person):[A-Za-z0-9_-]+$")
UNAUTHORIZED = {
    "status": 401,
    "serviceErrorCode": 65600,
    "code": "INVALID_ACCESS_TOKEN",
    "message": "Invalid access token",
}

router = APIRouter()


# --- OAuth -----------------------------------------------------------------------------------


@router.post("/oauth/v2/accessToken")
async def access_token(request: Request) -> dict[str, Any]:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    if form.get("grant_type") != "refresh_token":
        raise _oauth_error("unsupported_grant_type", "grant_type must be refresh_token")
    if not form.get("client_id") or not form.get("client_secret"):
        raise _oauth_error("invalid_client", "Client authentication failed")
    refresh = form.get("refresh_token", "")
    store = store_of(request)
    if not refresh or store.is_revoked(refresh):
        raise _oauth_error(
            "invalid_grant",
            "The provided authorization grant or refresh token is invalid, expired or revoked",
        )
    return {
        "access_token": store.issue_token(NAME),
        "expires_in": ACCESS_TOKEN_SECONDS,
        "refresh_token": refresh,
        "refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
    }


def _oauth_error(code: str, description: str) -> PlatformAnswer:
    return PlatformAnswer(400, {"error": code, "error_description": description})


# --- posts -----------------------------------------------------------------------------------


@router.post("/rest/posts", status_code=201)
async def create_post(request: Request) -> Response:
    headers = _rest(request)
    body = await _json(request)
    store = store_of(request)
    author = body.get("author")
    if not isinstance(author, str) or not AUTHOR.match(author):
        raise _invalid("/author", "author must be an organization or person URN")
    commentary = body.get("commentary", "")
    if not isinstance(commentary, str) or len(_plain(commentary)) > COMMENTARY_LIMIT:
        raise _invalid("/commentary", f"commentary is longer than {COMMENTARY_LIMIT} characters")
    _check_distribution(body)
    content = _check_content(store, author, body.get("content"))
    for earlier in store.records(NAME, kind="post", account=author):
        if earlier.body.get("commentary") == commentary and earlier.body.get("content") == content:
            raise _duplicate(earlier.id)
    record = store.add(
        NAME,
        account=author,
        kind="post",
        body={"text": commentary, **body},
        record_id=f"urn:li:share:{store.next_id()}",
        state=headers,
    )
    record.url = f"{base_url(request)}/{NAME}/feed/update/{record.id}/"
    return Response(status_code=201, headers={"x-restli-id": record.id})


@router.get("/rest/posts")
async def posts_by_author(request: Request) -> dict[str, Any]:
    _rest(request)
    params = request.query_params
    if params.get("q") != "author" or not params.get("author"):
        raise _invalid("/q", "the author finder needs q=author and author")
    try:
        count = max(1, min(100, int(params.get("count", "10"))))
        start = max(0, int(params.get("start", "0")))
    except ValueError:
        raise _invalid("/count", "count and start must be numbers") from None
    posts = list(reversed(store_of(request).records(NAME, kind="post", account=params["author"])))
    page = posts[start : start + count]
    return {
        "paging": {"start": start, "count": count, "total": len(posts), "links": []},
        "elements": [_render(post) for post in page],
    }


def _render(post: Record) -> dict[str, Any]:
    millis = int(post.created_at.timestamp() * 1000)
    shown = {k: v for k, v in post.body.items() if k != "text"}
    return {
        **shown,
        "id": post.id,
        "createdAt": millis,
        "publishedAt": millis,
        "lastModifiedAt": millis,
    }


def _check_distribution(body: dict[str, Any]) -> None:
    if body.get("visibility") not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN"):
        raise _invalid("/visibility", "visibility must be PUBLIC, CONNECTIONS or LOGGED_IN")
    distribution = body.get("distribution")
    if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in (
        "MAIN_FEED",
        "NONE",
    ):
        raise _invalid("/distribution/feedDistribution", "feedDistribution is required")
    for field in ("targetEntities", "thirdPartyDistributionChannels"):
        if not isinstance(distribution.get(field), list):
            raise _invalid(f"/distribution/{field}", f"{field} must be an array")
    if body.get("lifecycleState") not in ("PUBLISHED", "DRAFT"):
        raise _invalid("/lifecycleState", "lifecycleState must be PUBLISHED or DRAFT")


def _check_content(store: Store, author: str, content: Any) -> Any:
    if content is None:
        return None
    if not isinstance(content, dict):
        raise _invalid("/content", "content must be an object")
    if "media" in content:
        _check_asset(store, author, content["media"].get("id"), "/content/media/id")
    elif "multiImage" in content:
        images = content["multiImage"].get("images") or []
        if not MULTI_IMAGE_MIN <= len(images) <= MULTI_IMAGE_MAX:
            raise _invalid("/content/multiImage/images", "a multi-image post takes 2 to 20 images")
        for index, image in enumerate(images):
            path = f"/content/multiImage/images/{index}/id"
            _check_asset(store, author, image.get("id"), path, kinds=("image",))
    else:
        raise _invalid("/content", "content must hold media or multiImage")
    return content


def _check_asset(
    store: Store, author: str, urn: Any, path: str, kinds: tuple[str, ...] = ("image", "video")
) -> None:
    asset = store.get(NAME, str(urn), kind=None)
    if asset is None or asset.kind not in kinds or asset.account != author:
        raise _invalid(path, f"{urn} is not an upload of this author")
    if asset.state.get("status") != "AVAILABLE":
        raise _invalid(path, f"{urn} has not been uploaded (status {asset.state.get('status')})")


def _duplicate(urn: str) -> PlatformAnswer:
    return PlatformAnswer(
        422,
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
            f"Content is a duplicate of {urn}",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": "Duplicate post is detected",
                        "input": {},
                        "code": "DUPLICATE_POST",
                    }
                ]
            },
            "status": 422,
        },
    )


# --- uploads ---------------------------------------------------------------------------------


@router.post("/rest/images")
async def images(request: Request) -> dict[str, Any]:
    headers = _rest(request)
    if request.query_params.get("action") != "initializeUpload":
        raise _invalid("/action", "action must be initializeUpload")
    owner = _owner(await _json(request))
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
    headers = _rest(request)
    action = request.query_params.get("action")
    body = await _json(request)
    store = store_of(request)
    if action == "initializeUpload":
        owner = _owner(body)
        size = body["initializeUploadRequest"].get("fileSizeBytes")
        if not isinstance(size, int) or size <= 0:
            raise _invalid("/initializeUploadRequest/fileSizeBytes", "fileSizeBytes is required")
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
            raise _invalid("/finalizeUploadRequest/video", "no such video upload")
        if request_body.get("uploadedPartIds") != video.state["etags"]:
            raise _invalid(
                "/finalizeUploadRequest/uploadedPartIds", "the part ids do not match the parts"
            )
        video.state["status"] = "AVAILABLE"
        return {}
    raise _invalid("/action", "action must be initializeUpload or finalizeUpload")


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
        raise _invalid(
            "/initializeUploadRequest/owner", "owner must be an organization or person URN"
        )
    return owner


def _expiry() -> int:
    return int((datetime.now(UTC) + timedelta(hours=1)).timestamp() * 1000)


# --- shared ----------------------------------------------------------------------------------


def _rest(request: Request) -> dict[str, Any]:
    """The token and the version headers every ``/rest`` call needs; kept on what it makes."""
    bearer(request, error=UNAUTHORIZED)
    version = request.headers.get("linkedin-version", "")
    if not re.fullmatch(r"\d{6}", version):
        raise PlatformAnswer(
            400,
            {
                "status": 400,
                "code": "VERSION_MISSING",
                "message": "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            },
        )
    protocol = request.headers.get("x-restli-protocol-version")
    if protocol != "2.0.0":
        raise _invalid("/headers", "X-Restli-Protocol-Version must be 2.0.0")
    return {"linkedin_version": version, "restli_protocol": protocol}


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _invalid("/", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _invalid("/", "the body must be an object")
    return body


def _invalid(path: str, description: str) -> PlatformAnswer:
    return PlatformAnswer(
        422,
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": f"ERROR :: {path} :: {description}",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": description,
                        "input": {"inputPath": {"fieldPath": path}},
                        "code": "INVALID_VALUE",
                    }
                ]
            },
            "status": 422,
        },
    )


def _plain(commentary: str) -> str:
    """The commentary as readers see it: little text escapes removed."""
    return re.sub(r"\\(.)", r"\1", commentary)


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """LinkedIn's throttle says no wait (daily limits reset at midnight UTC); 401s in its shape."""
    if spec.kind == "rate_limit":
        body = {
            "status": 429,
            "serviceErrorCode": 101,
            "code": "TOO_MANY_REQUESTS",
            "message": "Resource level throttle APPLICATION DAY limit for calls to this resource "
            "is reached.",
        }
        return JSONResponse(body, 429)
    if spec.kind == "unauthorized":
        body = {
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user",
        }
        return JSONResponse(body, 401)
    if spec.kind == "server_error":
        return JSONResponse(
            {"message": "Internal Server Error", "status": spec.status}, spec.status
        )
    return None
