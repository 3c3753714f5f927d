"""TikTok Content Posting API v2 (Direct Post) and the bits of Login Kit and Display API it needs.

Real paths under ``/tiktok`` (developers.tiktok.com, "Content Posting API reference"):

- ``POST /v2/oauth/token/`` (form): ``grant_type=refresh_token`` swaps a refresh token for a new
  access token (and a new refresh token);
- ``POST /v2/post/publish/creator_info/query/``: who is posting, which privacy levels they
  allow, whether comments/duets/stitches are off, the longest video they may post;
- ``POST /v2/post/publish/video/init/``: ``post_info`` + ``source_info``; answers ``publish_id``
  and, for ``FILE_UPLOAD``, an ``upload_url``;
- ``PUT /video/?upload_id=…&upload_token=…`` (the upload URL): the bytes, one chunk per request
  with ``Content-Range``; 206 until the last chunk, then 201;
- ``POST /v2/post/publish/status/fetch/``: ``PROCESSING_UPLOAD`` / ``PROCESSING_DOWNLOAD`` →
  ``PUBLISH_COMPLETE`` or ``FAILED`` with ``fail_reason``;
- ``POST /v2/video/list/``: the creator's *public* videos, newest first (Display API).

Every answer is ``{"data": {…}, "error": {"code": "ok"|…, "message", "log_id"}}``. As on TikTok,
a throttled request can come back as HTTP 200 with ``error.code`` "rate_limit_exceeded" (that is
how the ``rate_limit`` fault looks here).

Rehearsal knobs, by the account a token speaks for (see ``sandbox.common.account_of``): an
account whose name contains "private" is a private account (privacy options
``FOLLOWER_OF_CREATOR`` and ``SELF_ONLY`` only); "quiet" has comments, duets and stitches turned
off; "capped" has reached the daily post cap (``spam_risk_too_many_posts``). An uploaded file
that is not an MP4 (no ``ftyp`` box) fails processing with ``file_format_check_failed``.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any, TypeGuard
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, account_of, base_url, bearer, store_of
from sandbox.faults import FaultSpec
from sandbox.store import Record, Store

NAME = "tiktok"
#: Content Posting API, "Media Transfer Guide": chunks of 5 MB to 64 MB (the last up to 128 MB),
#: a video under 5 MB in one chunk, 1 to 1,000 chunks.
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
MAX_LAST_CHUNK = 128 * 1024 * 1024
MAX_CHUNKS = 1000
#: Direct Post reference: ``post_info.title`` at most 2,200 UTF-16 code units.
TITLE_LIMIT = 2200
#: Display API video object: ``title`` and ``video_description`` are cut to 150 characters.
LISTED_TEXT_LIMIT = 150
MAX_LIST_COUNT = 20
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
MAX_DURATION_SECONDS = 600
#: How many status fetches see "processing" before a post completes: enough to make a client poll.
PROCESSING_POLLS = 1

router = APIRouter()


def _log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


def _ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": _log_id()}}


def _refuse(status: int, code: str, message: str) -> PlatformAnswer:
    return PlatformAnswer(status, {"data": {}, "error": _error(code, message)})


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message, "log_id": _log_id()}


def _token(request: Request) -> str:
    unauthorized = {
        "data": {},
        "error": _error(
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        ),
    }
    return bearer(request, error=unauthorized)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _refuse(400, "invalid_params", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _refuse(400, "invalid_params", "The request body must be a JSON object.")
    return body


def _creator(account: str) -> dict[str, Any]:
    private = "private" in account
    quiet = "quiet" in account
    if private:
        options = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]
    else:
        options = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    return {
        "creator_avatar_url": f"https://p16.tiktokcdn.test/{account}.jpeg",
        "creator_username": account,
        "creator_nickname": account.replace("-", " ").title(),
        "privacy_level_options": options,
        "comment_disabled": quiet,
        "duet_disabled": quiet,
        "stitch_disabled": quiet,
        "max_video_post_duration_sec": MAX_DURATION_SECONDS,
    }


@router.post("/v2/oauth/token/", response_model=None)
async def token(request: Request) -> dict[str, Any] | Response:
    """Login Kit "Manage User Access Tokens": refresh answers the token itself, not ``data``."""
    # Starlette parses forms only with python-multipart; a urlencoded body is easy to read.
    form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
    store = store_of(request)
    grant = form.get("grant_type")
    refresh = str(form.get("refresh_token") or "")
    if not form.get("client_key") or not form.get("client_secret"):
        return _oauth_error("invalid_client", "Client key or secret is missing.")
    if grant != "refresh_token":
        return _oauth_error("unsupported_grant_type", "The grant type is not supported.")
    if not refresh or store.is_revoked(refresh):
        return _oauth_error("invalid_grant", "Refresh token is invalid or expired.")
    account = account_of(refresh)
    store.revoke(refresh)  # rotated: the old refresh token no longer works
    access, renewed = (f"{store.issue_token(NAME)}:{account}" for _ in range(2))
    store.add(NAME, account=account, kind="token", body={"grant_type": grant})
    return {
        "access_token": access,
        "expires_in": 86400,
        "open_id": f"open-{account}",
        "refresh_expires_in": 31536000,
        "refresh_token": renewed,
        "scope": "user.info.basic,video.publish,video.list",
        "token_type": "Bearer",
    }


def _oauth_error(code: str, description: str) -> Response:
    body = {"error": code, "error_description": description, "log_id": _log_id()}
    return JSONResponse(body, status_code=400 if code != "invalid_client" else 401)


@router.post("/v2/post/publish/creator_info/query/")
async def creator_info(request: Request) -> dict[str, Any]:
    account = account_of(_token(request))
    if "capped" in account:
        raise _refuse(
            403,
            "spam_risk_too_many_posts",
            "The daily post cap from the API is reached for the current user.",
        )
    return _ok(_creator(account))


@router.post("/v2/post/publish/video/init/")
async def video_init(request: Request) -> dict[str, Any]:
    account = account_of(_token(request))
    body = await _json(request)
    post_info, source_info = body.get("post_info"), body.get("source_info")
    if not isinstance(post_info, dict) or not isinstance(source_info, dict):
        raise _refuse(400, "invalid_params", "post_info and source_info are required.")
    _check_post_info(post_info, _creator(account))
    if "capped" in account:
        raise _refuse(
            403,
            "spam_risk_too_many_posts",
            "The daily post cap from the API is reached for the current user.",
        )
    store = store_of(request)
    source = source_info.get("source")
    publish_id = f"v_pub_{'url' if source == 'PULL_FROM_URL' else 'file'}~v2-1.{store.next_id()}"
    state: dict[str, Any] = {"status": "PROCESSING_UPLOAD", "uploaded_bytes": 0, "polls": 0}
    data: dict[str, Any] = {"publish_id": publish_id}
    if source == "FILE_UPLOAD":
        state.update(_check_chunks(source_info))
        upload_id = store.next_id()
        state["upload_token"] = secrets.token_urlsafe(12)
        data["upload_url"] = (
            f"{base_url(request)}/{NAME}/video/?upload_id={upload_id}"
            f"&upload_token={state['upload_token']}"
        )
        state["upload_id"] = upload_id
    elif source == "PULL_FROM_URL":
        url = source_info.get("video_url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise _refuse(
                403,
                "url_ownership_unverified",
                "The video_url must be an https URL on a domain verified for this app.",
            )
        state.update(status="PROCESSING_DOWNLOAD", downloaded_bytes=0)
    else:
        raise _refuse(
            400, "invalid_params", "source_info.source must be FILE_UPLOAD or PULL_FROM_URL."
        )
    session = store.add(
        NAME,
        account=account,
        kind="publish",
        body=body,
        record_id=publish_id,
        state=state,
    )
    if source == "PULL_FROM_URL":
        _publish(store, session)
    return _ok(data)


def _check_post_info(post_info: dict[str, Any], creator: dict[str, Any]) -> None:
    title = post_info.get("title", "")
    if not isinstance(title, str) or len(title.encode("utf-16-le")) // 2 > TITLE_LIMIT:
        raise _refuse(400, "invalid_params", f"post_info.title exceeds {TITLE_LIMIT} characters.")
    privacy = post_info.get("privacy_level")
    if privacy not in PRIVACY_LEVELS:
        raise _refuse(400, "invalid_params", "post_info.privacy_level is missing or invalid.")
    if privacy not in creator["privacy_level_options"]:
        raise _refuse(
            403,
            "privacy_level_option_mismatch",
            "privacy_level is not one of the creator's privacy_level_options.",
        )
    for flag in ("comment", "duet", "stitch"):
        if creator[f"{flag}_disabled"] and post_info.get(f"disable_{flag}") is not True:
            raise _refuse(
                400,
                "invalid_params",
                f"The creator has turned {flag}s off; disable_{flag} must be true.",
            )


def _positive(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_chunks(source_info: dict[str, Any]) -> dict[str, int]:
    size, chunk, count = (
        source_info.get(k) for k in ("video_size", "chunk_size", "total_chunk_count")
    )
    if not (_positive(size) and _positive(chunk) and _positive(count)):
        raise _refuse(
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
        raise _refuse(400, "invalid_params", problem)
    return {"video_size": size, "chunk_size": chunk, "total_chunk_count": count}


_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@router.put("/video/", response_model=None)
async def upload(request: Request) -> Response:
    """The upload URL: chunks in order; a chunk sent again (its answer was lost) is accepted."""
    store = store_of(request)
    session = _upload_session(store, request.query_params.get("upload_id"))
    if session is None or request.query_params.get("upload_token") != session.state["upload_token"]:
        raise _refuse(404, "invalid_params", "The upload URL is not valid.")
    if session.state["status"] != "PROCESSING_UPLOAD":
        raise _refuse(400, "invalid_params", "The upload is already complete.")
    match = _RANGE.fullmatch(request.headers.get("content-range", ""))
    data = await request.body()
    size, chunk, count = (
        session.state[k] for k in ("video_size", "chunk_size", "total_chunk_count")
    )
    if match is None or int(match[3]) != size:
        raise _refuse(400, "invalid_file_upload", "Content-Range is missing or wrong.")
    first, last = int(match[1]), int(match[2])
    index = first // chunk
    expected_last = size - 1 if index == count - 1 else first + chunk - 1
    if first % chunk or index >= count or last != expected_last or len(data) != last - first + 1:
        raise _refuse(400, "invalid_file_upload", "The chunk does not match chunk_size.")
    if first > session.state["uploaded_bytes"]:
        raise _refuse(400, "invalid_file_upload", "Chunks must be uploaded in order.")
    if not request.headers.get("content-type", "").startswith("video/"):
        raise _refuse(400, "invalid_file_upload", "Content-Type must be the video's MIME type.")
    if first == 0:
        session.state["head"] = data[:16].hex()
    session.state.setdefault("chunks", []).append(
        {"content_range": match[0], "content_type": request.headers["content-type"]}
    )
    session.state["uploaded_bytes"] = last + 1
    if last + 1 < size:
        return Response(status_code=206)
    _publish(store, session)
    return Response(status_code=201)


def _upload_session(store: Store, upload_id: str | None) -> Record | None:
    for record in store.records(NAME, kind="publish"):
        if record.state.get("upload_id") == upload_id:
            return record
    return None


def _publish(store: Store, session: Record) -> None:
    """Every byte is in: TikTok processes the video, then it becomes a post (or fails)."""
    source = session.body["source_info"]["source"]
    if source == "FILE_UPLOAD" and bytes.fromhex(session.state.get("head", ""))[4:8] != b"ftyp":
        session.state.update(status="FAILED", fail_reason="file_format_check_failed")
        return
    if source == "PULL_FROM_URL":
        session.state["downloaded_bytes"] = 1024
    post_info = session.body["post_info"]
    post = store.add(
        NAME,
        account=session.account,
        kind="post",
        body={"text": post_info.get("title", ""), "publish_id": session.id, **session.body},
    )
    post.url = f"https://www.tiktok.com/@{session.account}/video/{post.id}"
    session.state.update(status="PROCESSING", post_id=post.id)


@router.post("/v2/post/publish/status/fetch/")
async def status_fetch(request: Request) -> dict[str, Any]:
    account = account_of(_token(request))
    publish_id = (await _json(request)).get("publish_id")
    session = store_of(request).get(NAME, str(publish_id), kind="publish")
    if session is None or session.account != account:
        raise _refuse(400, "invalid_params", "publish_id does not exist.")
    state = session.state
    data: dict[str, Any] = {"status": state["status"]}
    if state["status"] == "PROCESSING":
        state["polls"] += 1
        pulled = session.body["source_info"].get("source") == "PULL_FROM_URL"
        data["status"] = "PROCESSING_DOWNLOAD" if pulled else "PROCESSING_UPLOAD"
        if state["polls"] > PROCESSING_POLLS:
            state["status"] = data["status"] = "PUBLISH_COMPLETE"
    if data["status"] == "PUBLISH_COMPLETE":
        public = session.body["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
        # Only a public post, once moderated, has an id developers may see.
        data["publicaly_available_post_id"] = [int(state["post_id"])] if public else []
    if state["status"] == "FAILED":
        data["fail_reason"] = state["fail_reason"]
    if "video_size" in state:
        data["uploaded_bytes"] = state["uploaded_bytes"]
    if "downloaded_bytes" in state:
        data["downloaded_bytes"] = state["downloaded_bytes"]
    return _ok(data)


@router.post("/v2/video/list/")
async def video_list(request: Request) -> dict[str, Any]:
    """The creator's public videos, newest first; ``cursor`` is a create time in milliseconds."""
    account = account_of(_token(request))
    if "fields" not in request.query_params:
        raise _refuse(400, "invalid_params", "The fields query parameter is required.")
    body = await _json(request)
    count = body.get("max_count", 10)
    if not isinstance(count, int) or not 1 <= count <= MAX_LIST_COUNT:
        raise _refuse(400, "invalid_params", f"max_count must be 1 to {MAX_LIST_COUNT}.")
    cursor = body.get("cursor")
    public = [
        post
        for post in store_of(request).records(NAME, kind="post", account=account)
        if post.body["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
    ]
    public.sort(key=lambda p: p.created_at, reverse=True)
    if isinstance(cursor, int):
        public = [p for p in public if p.created_at.timestamp() * 1000 < cursor]
    page = public[:count]
    videos = [
        {
            "id": post.id,
            "create_time": int(post.created_at.timestamp()),
            "title": post.body["text"][:LISTED_TEXT_LIMIT],
            "video_description": post.body["text"][:LISTED_TEXT_LIMIT],
            "share_url": post.url,
        }
        for post in page
    ]
    next_cursor = int(page[-1].created_at.timestamp() * 1000) if page else 0
    return _ok({"videos": videos, "cursor": next_cursor, "has_more": len(public) > count})


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """TikTok's throttle can arrive as HTTP 200 with ``error.code`` "rate_limit_exceeded"."""
    if spec.kind == "rate_limit":
        body = {
            "data": {},
            "error": _error("rate_limit_exceeded", "The API rate limit was exceeded."),
        }
        return JSONResponse(body, status_code=200)
    if spec.kind == "unauthorized":
        body = {
            "data": {},
            "error": _error("access_token_invalid", "The access token is invalid or expired."),
        }
        return JSONResponse(body, status_code=401)
    if spec.kind == "server_error":
        body = {"data": {}, "error": _error("internal_error", "Something went wrong.")}
        return JSONResponse(body, status_code=spec.status)
    return None
