"""Mastodon's statuses: posting one (idempotently), reading them back, and how they are served.

- ``POST /api/v1/statuses`` (``status``, ``in_reply_to_id``, ``media_ids[]``, ``visibility``)
  with an ``Idempotency-Key`` header: the same key from the same account within an hour answers
  the status already made instead of making another (Mastodon keeps the key in Redis for 3,600 s).
- ``GET /api/v1/accounts/:id/statuses`` (newest first, ``max_id``/``limit`` paging with a
  ``Link`` header), ``GET /api/v1/statuses/:id`` and ``GET /api/v1/statuses/:id/source`` (the
  plain text a status was written as).

Statuses are served as Mastodon's ``Status`` entity, their text rendered the way its
``TextFormatter`` does it for local posts (paragraphs, ``<br />``, links split into
invisible/visible spans, a remote mention shown as ``@user``), so an adapter that matches its own
posts by content meets the real shape.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import regex
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import LINK, PlatformAnswer, base_url, json_time, store_of
from sandbox.forms import multipart_form
from sandbox.platforms.mastodon.common import (
    NAME,
    NOT_FOUND,
    account_entity,
    account_id_of,
    caller,
)
from sandbox.platforms.mastodon.instance import URL_RESERVED, max_characters
from sandbox.platforms.mastodon.media import attachable, media_entity
from sandbox.store import Record

#: How long Mastodon remembers an ``Idempotency-Key`` (``PostStatusService``: 3,600 s).
IDEMPOTENCY_WINDOW = timedelta(hours=1)
#: ``GET /api/v1/accounts/:id/statuses``: 20 by default, at most 40.
PAGE_DEFAULT, PAGE_MAX = 20, 40
VISIBILITIES = ("public", "unlisted", "private", "direct")

_GRAPHEME = regex.compile(r"\X")
_MENTION = regex.compile(r"(?<![\w@/])@(\w+)(?:@([\w.-]+\w))?")
_HASHTAG = regex.compile(r"(?<![\w&#])#(\w*\p{L}\w*)")

router = APIRouter()


@router.post("/api/v1/statuses")
async def create_status(request: Request) -> dict[str, Any]:
    handle = caller(request)
    store = store_of(request)
    key = request.headers.get("idempotency-key")
    if key:
        earlier = store.by_key(NAME, handle, key)
        if earlier is not None and datetime.now(UTC) - earlier.created_at < IDEMPOTENCY_WINDOW:
            return _status_entity(request, earlier)
    params = await _status_params(request)
    text = params.get("status") or ""
    media_ids = [str(m) for m in params.get("media_ids") or []]
    if not isinstance(text, str) or (not text.strip() and not media_ids):
        raise PlatformAnswer(422, {"error": "Validation failed: Text can't be blank"})
    limit = max_characters(store)
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
    attachments = attachable(store, handle, media_ids)
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
    return _status_entity(request, record)


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


def _length(text: str) -> int:
    """Mastodon's count: graphemes, each link as 23, ``@user@domain`` as ``@user``."""
    countable = LINK.sub("x" * URL_RESERVED, text)
    countable = _MENTION.sub(lambda m: "@" + m.group(1), countable)
    return len(_GRAPHEME.findall(countable))


@router.get("/api/v1/statuses/{status_id}")
def get_status(status_id: str, request: Request) -> dict[str, Any]:
    caller(request)
    record = store_of(request).get(NAME, status_id, kind="post")
    if record is None:
        raise PlatformAnswer(404, NOT_FOUND)
    return _status_entity(request, record)


@router.get("/api/v1/statuses/{status_id}/source")
def status_source(status_id: str, request: Request) -> dict[str, Any]:
    handle = caller(request)
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
    caller(request)
    store = store_of(request)
    owners = {account_id_of(r.account): r.account for r in store.records(NAME, kind="post")}
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
    return JSONResponse([_status_entity(request, s) for s in page], headers=headers)


def _status_entity(request: Request, record: Record) -> dict[str, Any]:
    """A status as Mastodon's ``Status`` entity shows it, media and account included."""
    store = store_of(request)
    media = [store.get(NAME, m, kind="media") for m in record.body["media_ids"]]
    return {
        "id": record.id,
        "created_at": json_time(record.created_at),
        "in_reply_to_id": record.body["in_reply_to_id"],
        "in_reply_to_account_id": account_id_of(record.account)
        if record.body["in_reply_to_id"]
        else None,
        "sensitive": record.body["sensitive"],
        "spoiler_text": record.body["spoiler_text"],
        "visibility": record.body["visibility"],
        "language": record.body["language"],
        "uri": record.url,
        "url": record.url,
        "content": _html(record.body["text"], base_url(request)),
        "media_attachments": [media_entity(m) for m in media if m is not None],
        "account": account_entity(request, record.account),
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
        [*LINK.finditer(text), *_MENTION.finditer(text), *_HASHTAG.finditer(text)],
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
