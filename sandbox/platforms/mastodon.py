"""Mastodon's REST API (docs.joinmastodon.org, "methods/statuses", "methods/media").

- ``GET /api/v2/instance``: the server's limits (``configuration.statuses.max_characters``).
- ``POST /api/v2/media`` (multipart ``file``, ``description``): images answer 200 with a
  ``url``; videos answer 202 with ``url: null`` and are processed in the background, and
  ``GET /api/v1/media/:id`` answers 206 until they are ready, then 200. A status that refers to
  unprocessed media is refused with 422.
- ``POST /api/v1/statuses`` (``status``, ``in_reply_to_id``, ``media_ids[]``, ``visibility``)
  with an ``Idempotency-Key`` header: the same key from the same account within an hour answers
  the status already made instead of making another (Mastodon keeps the key in Redis for 3,600 s).
- ``GET /api/v1/accounts/verify_credentials``, ``GET /api/v1/accounts/:id/statuses`` (newest
  first, ``max_id``/``limit`` paging with a ``Link`` header), ``GET /api/v1/statuses/:id`` and
  ``GET /api/v1/statuses/:id/source`` (the plain text a status was written as).

Errors are ``{"error": "..."}``: 401 for a missing or revoked token, 404 "Record not found", 422
"Validation failed: ...". A throttled client gets 429 with ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (ISO 8601) and no ``Retry-After``
(Mastodon's ``config/initializers/rack_attack.rb``).

Statuses are rendered to HTML the way Mastodon's ``TextFormatter`` does it for local posts
(paragraphs, ``<br />``, links split into invisible/visible spans, a remote mention shown as
``@user``), so an adapter that matches its own posts by content meets the real shape.

Sandbox-only: ``PUT /mastodon/_sandbox/instance`` with ``{"max_characters": N}`` sets the
character limit the instance announces, to rehearse a server with a longer limit.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import regex
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, account_of, base_url, bearer, store_of
from sandbox.faults import FaultSpec
from sandbox.forms import multipart_form
from sandbox.store import Record, Store

NAME = "mastodon"
#: Mastodon's defaults: ``StatusLengthValidator::MAX_CHARS``, ``characters_reserved_per_url``,
#: ``Status::MEDIA_ATTACHMENTS_LIMIT``, ``MediaAttachment::MAX_DESCRIPTION_LENGTH``.
DEFAULT_MAX_CHARACTERS = 500
URL_RESERVED = 23
MAX_MEDIA_ATTACHMENTS = 4
DESCRIPTION_LIMIT = 1500
#: How long Mastodon remembers an ``Idempotency-Key`` (``PostStatusService``: 3,600 s).
IDEMPOTENCY_WINDOW = timedelta(hours=1)
#: ``GET /api/v1/accounts/:id/statuses``: 20 by default, at most 40.
PAGE_DEFAULT, PAGE_MAX = 20, 40
#: The rate limit rack-attack applies per token: 300 requests per 5 minutes.
RATE_LIMIT = 300
#: Status polls a video answers with 206 before it is processed (ours, to rehearse the wait).
VIDEO_PROCESSING_POLLS = 1
VISIBILITIES = ("public", "unlisted", "private", "direct")
INVALID_TOKEN = {"error": "The access token is invalid"}
NOT_FOUND = {"error": "Record not found"}

_URL = regex.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")
_MENTION = regex.compile(r"(?<![\w@/])@(\w+)(?:@([\w.-]+\w))?")
_HASHTAG = regex.compile(r"(?<![\w&#])#(\w*\p{L}\w*)")
_GRAPHEME = regex.compile(r"\X")

router = APIRouter()


def _caller(request: Request) -> str:
    return account_of(bearer(request, error=INVALID_TOKEN))


def _account_id(handle: str) -> str:
    """A stable numeric id per account, as Mastodon's ids are numbers in strings."""
    return str(int(hashlib.sha256(handle.encode()).hexdigest()[:12], 16))


def _account(request: Request, handle: str) -> dict[str, Any]:
    return {
        "id": _account_id(handle),
        "username": handle,
        "acct": handle,
        "display_name": handle,
        "url": f"{base_url(request)}/{NAME}/@{handle}",
        "locked": False,
        "bot": False,
    }


def _max_characters(store: Store) -> int:
    configured = store.records(NAME, kind="instance")
    return int(configured[-1].body["max_characters"]) if configured else DEFAULT_MAX_CHARACTERS


@router.get("/api/v2/instance")
def instance(request: Request) -> dict[str, Any]:
    host = base_url(request).split("://", 1)[-1]
    return {
        "domain": host,
        "title": "Callsheet sandbox",
        "version": "4.3.0",
        "configuration": {
            "urls": {"streaming": f"ws://{host}/{NAME}"},
            "statuses": {
                "max_characters": _max_characters(store_of(request)),
                "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                "characters_reserved_per_url": URL_RESERVED,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "video/mp4"],
                "description_limit": DESCRIPTION_LIMIT,
            },
        },
    }


@router.put("/_sandbox/instance", status_code=204)
async def configure_instance(request: Request) -> None:
    body = await request.json()
    limit = body.get("max_characters") if isinstance(body, dict) else None
    if not isinstance(limit, int) or limit < 1:
        raise PlatformAnswer(422, {"error": "max_characters must be a positive integer"})
    store_of(request).add(NAME, account="instance", kind="instance", body={"max_characters": limit})


@router.get("/api/v1/accounts/verify_credentials")
def verify_credentials(request: Request) -> dict[str, Any]:
    return _account(request, _caller(request))


@router.post("/api/v2/media", response_model=None)
async def upload_media(request: Request) -> Response:
    handle = _caller(request)
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
    return JSONResponse(_media(record), status_code=status)


def _media_type(content_type: str) -> str | None:
    major = content_type.split("/", 1)[0].lower()
    return {"image": "image", "video": "video"}.get(major)


def _media(record: Record) -> dict[str, Any]:
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
    handle = _caller(request)
    store = store_of(request)
    record = store.get(NAME, media_id, kind="media")
    if record is None or record.account != handle:
        raise PlatformAnswer(404, NOT_FOUND)
    if record.state.get("polls_left", 0) > 0:
        record.state["polls_left"] -= 1
        return JSONResponse(_media(record), status_code=206)
    return JSONResponse(_media(record))


@router.post("/api/v1/statuses")
async def create_status(request: Request) -> dict[str, Any]:
    handle = _caller(request)
    store = store_of(request)
    key = request.headers.get("idempotency-key")
    if key:
        earlier = store.by_key(NAME, handle, key)
        if earlier is not None and datetime.now(UTC) - earlier.created_at < IDEMPOTENCY_WINDOW:
            return _status(request, earlier)
    params = await _status_params(request)
    text = params.get("status") or ""
    media_ids = [str(m) for m in params.get("media_ids") or []]
    if not isinstance(text, str) or (not text.strip() and not media_ids):
        raise PlatformAnswer(422, {"error": "Validation failed: Text can't be blank"})
    limit = _max_characters(store)
    if _length(text) > limit:
        raise PlatformAnswer(
            422, {"error": f"Validation failed: Text character limit of {limit} exceeded"}
        )
    visibility = params.get("visibility") or "public"
    if visibility not in VISIBILITIES:
        raise PlatformAnswer(422, {"error": "Validation failed: Visibility is not included"})
    reply_to = params.get("in_reply_to_id")
    if reply_to is not None and store.get(NAME, str(reply_to), kind="post") is None:
        raise PlatformAnswer(404, NOT_FOUND)
    attachments = _attachable(store, handle, media_ids)
    status_id = store.next_id()
    for attachment in attachments:
        attachment.state["status_id"] = status_id
    body = {
        "text": text,
        "status": text,
        "in_reply_to_id": str(reply_to) if reply_to is not None else None,
        "media_ids": media_ids,
        "visibility": visibility,
        "language": params.get("language"),
        "sensitive": bool(params.get("sensitive")),
        "spoiler_text": params.get("spoiler_text") or "",
    }
    record = store.add(
        NAME,
        account=handle,
        kind="post",
        body=body,
        idempotency_key=key,
        record_id=status_id,
        url=f"{base_url(request)}/{NAME}/@{handle}/{status_id}",
        state={"authorization": request.headers.get("authorization", "")},
    )
    return _status(request, record)


async def _status_params(request: Request) -> dict[str, Any]:
    """Mastodon takes JSON or form parameters alike (``media_ids[]`` in forms)."""
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    if content_type.startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise PlatformAnswer(400, {"error": "Invalid JSON"}) from None
        if not isinstance(body, dict):
            raise PlatformAnswer(400, {"error": "Invalid JSON"})
        return body
    form = await multipart_form(request)
    if form is not None:
        params: dict[str, Any] = {k: v.text for k, v in form.items() if not k.endswith("[]")}
        params["media_ids"] = [v.text for k, v in form.items() if k == "media_ids[]"]
        return params
    raise PlatformAnswer(422, {"error": "Validation failed: Text can't be blank"})


def _attachable(store: Store, handle: str, media_ids: list[str]) -> list[Record]:
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


def _length(text: str) -> int:
    """Mastodon's count: graphemes, each link as 23, ``@user@domain`` as ``@user``."""
    countable = _URL.sub("x" * URL_RESERVED, text)
    countable = _MENTION.sub(lambda m: "@" + m.group(1), countable)
    return len(_GRAPHEME.findall(countable))


def _status(request: Request, record: Record) -> dict[str, Any]:
    store = store_of(request)
    media = [store.get(NAME, m, kind="media") for m in record.body["media_ids"]]
    return {
        "id": record.id,
        "created_at": record.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "in_reply_to_id": record.body["in_reply_to_id"],
        "in_reply_to_account_id": _account_id(record.account)
        if record.body["in_reply_to_id"]
        else None,
        "sensitive": record.body["sensitive"],
        "spoiler_text": record.body["spoiler_text"],
        "visibility": record.body["visibility"],
        "language": record.body["language"],
        "uri": record.url,
        "url": record.url,
        "content": _html(record.body["text"], base_url(request)),
        "media_attachments": [_media(m) for m in media if m is not None],
        "account": _account(request, record.account),
        "application": {"name": "Callsheet", "website": None},
        "reblog": None,
    }


def _html(text: str, base: str) -> str:
    """``TextFormatter`` for a local status: paragraphs, line breaks, links, mentions, tags."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p]
    return "".join(f"<p>{_inline(p, base)}</p>" for p in paragraphs)


def _inline(text: str, base: str) -> str:
    out, last = [], 0
    tokens = sorted(
        [*_URL.finditer(text), *_MENTION.finditer(text), *_HASHTAG.finditer(text)],
        key=lambda m: m.start(),
    )
    for match in tokens:
        if match.start() < last:
            continue
        out.append(html.escape(text[last : match.start()], quote=False))
        out.append(_entity(match, base))
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out).replace("\n", "<br />")


def _entity(match: regex.Match[str], base: str) -> str:
    written = match.group(0)
    if written.startswith("@"):
        user, domain = match.group(1), match.group(2)
        href = f"https://{domain}/@{user}" if domain else f"{base}/{NAME}/@{user}"
        return (
            f'<span class="h-card"><a href="{html.escape(href)}" class="u-url mention">'
            f"@<span>{html.escape(user)}</span></a></span>"
        )
    if written.startswith("#"):
        tag = match.group(1)
        return (
            f'<a href="{base}/{NAME}/tags/{html.escape(tag)}" class="mention hashtag" '
            f'rel="tag">#<span>{html.escape(tag)}</span></a>'
        )
    scheme, rest = written.split("://", 1)
    shown, hidden = rest[:30], rest[30:]
    return (
        f'<a href="{html.escape(written)}" rel="nofollow noopener" target="_blank">'
        f'<span class="invisible">{scheme}://</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(hidden)}</span></a>'
    )


@router.get("/api/v1/statuses/{status_id}")
def get_status(status_id: str, request: Request) -> dict[str, Any]:
    _caller(request)
    record = store_of(request).get(NAME, status_id, kind="post")
    if record is None:
        raise PlatformAnswer(404, NOT_FOUND)
    return _status(request, record)


@router.get("/api/v1/statuses/{status_id}/source")
def status_source(status_id: str, request: Request) -> dict[str, Any]:
    handle = _caller(request)
    record = store_of(request).get(NAME, status_id, kind="post")
    if record is None or record.account != handle:
        raise PlatformAnswer(404, NOT_FOUND)
    return {
        "id": record.id,
        "text": record.body["text"],
        "spoiler_text": record.body["spoiler_text"],
    }


@router.get("/api/v1/accounts/{account_id}/statuses", response_model=None)
def account_statuses(account_id: str, request: Request) -> Response:
    _caller(request)
    store = store_of(request)
    owners = {_account_id(r.account): r.account for r in store.records(NAME, kind="post")}
    handle = owners.get(account_id)
    query = request.query_params
    try:
        limit = min(int(query.get("limit", PAGE_DEFAULT)), PAGE_MAX)
        max_id = int(query["max_id"]) if "max_id" in query else None
    except ValueError:
        raise PlatformAnswer(400, {"error": "Invalid parameter"}) from None
    if limit < 1:
        limit = PAGE_DEFAULT
    statuses = [] if handle is None else store.records(NAME, kind="post", account=handle)
    statuses = [s for s in reversed(statuses) if max_id is None or int(s.id) < max_id]
    if query.get("exclude_replies") in ("true", "1"):
        statuses = [s for s in statuses if not s.body["in_reply_to_id"]]
    page = statuses[:limit]
    headers = {}
    if len(statuses) > limit:
        here = f"{base_url(request)}{request.url.path}"
        headers["Link"] = f'<{here}?limit={limit}&max_id={page[-1].id}>; rel="next"'
    return JSONResponse([_status(request, s) for s in page], headers=headers)


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """Mastodon throttles with ISO 8601 ``X-RateLimit-Reset`` and says nothing else."""
    if spec.kind == "rate_limit":
        reset = datetime.now(UTC) + timedelta(seconds=spec.retry_after)
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }
        return JSONResponse({"error": "Too many requests"}, 429, headers=headers)
    if spec.kind == "unauthorized":
        return JSONResponse({"error": "The access token was revoked"}, 401)
    if spec.kind == "server_error":
        return JSONResponse(
            {"error": "We're sorry, but something went wrong on our end."}, spec.status
        )
    return None
