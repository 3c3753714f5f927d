"""A Bluesky PDS (atproto XRPC over HTTP: ``/xrpc/<nsid>``), as bsky.social answers.

- ``com.atproto.server.createSession`` (``identifier`` + app ``password``): an access JWT (two
  hours) and a refresh JWT (90 days), the account's ``did`` and ``handle``. Limited to 30 per 5
  minutes and 300 a day per account, which is why clients keep sessions.
- ``com.atproto.server.refreshSession`` (the *refresh* JWT as bearer): a new pair; the refresh
  JWT used is spent.
- ``com.atproto.repo.uploadBlob`` (raw bytes, ``Content-Type``): a blob reference to embed.
- ``com.atproto.repo.createRecord`` with an optional client-chosen ``rkey``: for
  ``app.bsky.feed.post`` the key must be a TID (lexicon ``"key": "tid"``). A key that already
  exists is refused: today's PDS answers 500 (the MST insert throws; bluesky-social/atproto
  PR #4728 proposes a named error), and so does the sandbox.
- ``com.atproto.repo.getRecord``: the record, or 400 ``RecordNotFound``.
- ``com.atproto.identity.resolveHandle``: the DID of a handle (here: of accounts that signed in).

Errors are ``{"error": "<Name>", "message": "..."}``. An expired access token is **400**
``ExpiredToken`` and an unknown one 400 ``InvalidToken`` (the PDS's ``auth-verifier.ts``); a wrong
password is 401 ``AuthenticationRequired``. A throttled client gets 429 ``RateLimitExceeded``
with ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (Unix seconds) and
``RateLimit-Policy``.

Sandbox-only: ``POST /bluesky/_sandbox/expire`` with ``{"token": ...}`` makes an access JWT
expired, to rehearse a session that ran out between two publishes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import regex
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, store_of
from sandbox.faults import FaultSpec
from sandbox.store import Record, Store

NAME = "bluesky"
POST = "app.bsky.feed.post"
#: The PDS's token lifetimes (``account-manager/helpers/auth.ts``: 120 minutes, 90 days).
ACCESS_LIFETIME = timedelta(minutes=120)
REFRESH_LIFETIME = timedelta(days=90)
#: Lexicon ``app.bsky.feed.post``: 300 graphemes, 3,000 bytes of text.
MAX_GRAPHEMES, MAX_BYTES = 300, 3000
#: Lexicon ``app.bsky.embed.images``: at most 4 images of at most 2,000,000 bytes each.
MAX_IMAGES, IMAGE_MAX_BYTES = 4, 2_000_000
#: Lexicon ``app.bsky.embed.video``: one ``video/mp4`` of at most 300,000,000 bytes.
VIDEO_MAX_BYTES = 300_000_000
#: The hourly write budget shown in ``RateLimit-Policy`` (5,000 points per hour).
RATE_POINTS, RATE_WINDOW = 5000, 3600

TID = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
DATETIME = regex.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_GRAPHEME = regex.compile(r"\X")

router = APIRouter()


def _error(status: int, name: str, message: str) -> PlatformAnswer:
    return PlatformAnswer(status, {"error": name, "message": message})


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


def _did(handle: str) -> str:
    return "did:plc:" + _b32(hashlib.sha256(handle.encode()).digest())[:24]


def _jwt(did: str, scope: str, expires: datetime) -> str:
    """A JWT-shaped token: clients read ``exp`` from it; the sandbox checks it by lookup."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = {"typ": "at+jwt" if scope != "com.atproto.refresh" else "refresh+jwt"}
    payload = {
        "scope": scope,
        "sub": did,
        "aud": "did:web:sandbox.bsky",
        "iat": int(time.time()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(12),
    }
    return f"{part({'alg': 'ES256K', **header})}.{part(payload)}.{secrets.token_urlsafe(32)}"


def _open_session(store: Store, handle: str, *, via: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    did = _did(handle)
    access = _jwt(did, "com.atproto.appPass", now + ACCESS_LIFETIME)
    refresh = _jwt(did, "com.atproto.refresh", now + REFRESH_LIFETIME)
    store.add(
        NAME,
        account=handle,
        kind="session",
        body={"did": did, "handle": handle, "via": via},
        state={
            "access": access,
            "refresh": refresh,
            "access_expires": (now + ACCESS_LIFETIME).timestamp(),
            "refresh_spent": False,
        },
    )
    return {
        "accessJwt": access,
        "refreshJwt": refresh,
        "did": did,
        "handle": handle,
        "active": True,
    }


def _token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _error(401, "AuthMissing", "Authentication Required")
    return token.strip()


def _session(request: Request) -> Record:
    """The session an access JWT belongs to, or the 400 the PDS answers."""
    token = _token(request)
    store = store_of(request)
    for record in store.records(NAME, kind="session"):
        if record.state["access"] == token:
            if store.is_revoked(token):
                raise _error(400, "InvalidToken", "Token could not be verified")
            if record.state["access_expires"] <= time.time():
                raise _error(400, "ExpiredToken", "Token has expired")
            return record
    raise _error(400, "InvalidToken", "Token could not be verified")


@router.post("/xrpc/com.atproto.server.createSession")
async def create_session(request: Request) -> dict[str, Any]:
    body = await _json(request)
    identifier, password = body.get("identifier"), body.get("password")
    if not isinstance(identifier, str) or not isinstance(password, str):
        raise _error(400, "InvalidRequest", "Input must have the properties identifier, password")
    store = store_of(request)
    if not password or store.is_revoked(password) or store.is_revoked(identifier):
        raise _error(401, "AuthenticationRequired", "Invalid identifier or password")
    handle = identifier.removeprefix("@").lower()
    return _open_session(store, handle, via="createSession")


@router.post("/xrpc/com.atproto.server.refreshSession")
def refresh_session(request: Request) -> dict[str, Any]:
    token = _token(request)
    store = store_of(request)
    for record in store.records(NAME, kind="session"):
        if record.state["refresh"] == token:
            if record.state["refresh_spent"] or store.is_revoked(token):
                raise _error(400, "ExpiredToken", "Token has been revoked")
            record.state["refresh_spent"] = True
            return _open_session(store, record.account, via="refreshSession")
    raise _error(400, "InvalidToken", "Token could not be verified")


@router.post("/_sandbox/expire", status_code=204)
async def expire(request: Request) -> None:
    token = (await _json(request)).get("token")
    for record in store_of(request).records(NAME, kind="session"):
        if record.state["access"] == token:
            record.state["access_expires"] = 0
            return
    raise _error(404, "NotFound", "no session has that access token")


@router.get("/xrpc/com.atproto.identity.resolveHandle")
def resolve_handle(request: Request) -> dict[str, Any]:
    handle = request.query_params.get("handle", "").lower()
    if not handle:
        raise _error(400, "InvalidRequest", 'Error: Params must have the property "handle"')
    if not store_of(request).records(NAME, kind="session", account=handle):
        raise _error(400, "InvalidRequest", "Unable to resolve handle")
    return {"did": _did(handle)}


@router.post("/xrpc/com.atproto.repo.uploadBlob")
async def upload_blob(request: Request) -> dict[str, Any]:
    session = _session(request)
    data = await request.body()
    mime = request.headers.get("content-type", "").split(";")[0].strip() or "*/*"
    if not data:
        raise _error(400, "InvalidRequest", "Request body is empty")
    cid = "bafkrei" + _b32(hashlib.sha256(data).digest())[:52]
    blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}
    store_of(request).add(NAME, account=session.account, kind="blob", body=blob, record_id=cid)
    return {"blob": blob}


@router.post("/xrpc/com.atproto.repo.createRecord")
async def create_record(request: Request) -> dict[str, Any]:
    session = _session(request)
    body = await _json(request)
    repo, collection, record = body.get("repo"), body.get("collection"), body.get("record")
    did = session.body["did"]
    if repo not in (did, session.account):
        raise _error(401, "AuthRequired", "Authentication Required")
    if collection != POST:
        raise _error(400, "InvalidRequest", f"Sandbox only keeps {POST} records")
    if not isinstance(record, dict) or record.get("$type") != POST:
        raise _error(400, "InvalidRequest", "Invalid app.bsky.feed.post record: $type")
    store = store_of(request)
    rkey = body.get("rkey") or _next_tid()
    if not isinstance(rkey, str) or not TID.match(rkey):
        raise _error(400, "InvalidRequest", f"Invalid record key for {POST}: must be a valid TID")
    _validate_post(store, session.account, record)
    uri = f"at://{did}/{POST}/{rkey}"
    if store.get(NAME, uri, kind="post") is not None:
        # What today's PDS does: the MST insert throws and the error is not named.
        raise _error(500, "InternalServerError", "Internal Server Error")
    cid = (
        "bafyrei" + _b32(hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest())[:52]
    )
    store.add(
        NAME,
        account=session.account,
        kind="post",
        record_id=uri,
        body={**record, "rkey": rkey, "cid": cid},
        url=f"https://bsky.app/profile/{session.account}/post/{rkey}",
        state={"authorization": request.headers.get("authorization", "")},
    )
    rev = _next_tid()
    return {
        "uri": uri,
        "cid": cid,
        "commit": {"cid": "bafyrei" + _b32(rev.encode())[:52], "rev": rev},
        "validationStatus": "valid",
    }


def _validate_post(store: Store, handle: str, record: dict[str, Any]) -> None:
    """The lexicon rules an adapter can get wrong, with the PDS's messages."""
    text = record.get("text", "")
    if not isinstance(text, str):
        raise _invalid("record/text must be a string")
    if len(_GRAPHEME.findall(text)) > MAX_GRAPHEMES:
        raise _invalid(f"record/text must not be longer than {MAX_GRAPHEMES} graphemes")
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise _invalid(f"record/text must not be longer than {MAX_BYTES} characters")
    created = record.get("createdAt")
    if not isinstance(created, str) or not DATETIME.match(created) or created.endswith("-00:00"):
        raise _invalid(
            "record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
        )
    for number, facet in enumerate(record.get("facets") or []):
        index = facet.get("index") if isinstance(facet, dict) else None
        start = index.get("byteStart") if isinstance(index, dict) else None
        end = index.get("byteEnd") if isinstance(index, dict) else None
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size):
            raise _invalid(f"record/facets/{number}/index is outside the text")
        for feature in facet.get("features") or []:
            if feature.get("$type") == "app.bsky.richtext.facet#mention" and not str(
                feature.get("did", "")
            ).startswith("did:"):
                raise _invalid(f"record/facets/{number}/features/0/did must be a valid did")
    reply = record.get("reply")
    if reply is not None:
        for ref in ("root", "parent"):
            strong = reply.get(ref) if isinstance(reply, dict) else None
            if not (isinstance(strong, dict) and strong.get("uri") and strong.get("cid")):
                raise _invalid(f"record/reply/{ref} must be a strongRef (uri, cid)")
    embed = record.get("embed")
    if embed is not None:
        _validate_embed(store, handle, embed)


def _validate_embed(store: Store, handle: str, embed: Any) -> None:
    kind = embed.get("$type") if isinstance(embed, dict) else None
    if kind == "app.bsky.embed.images":
        images = embed.get("images")
        if not isinstance(images, list) or not 0 < len(images) <= MAX_IMAGES:
            raise _invalid(f"record/embed/images must not have more than {MAX_IMAGES} elements")
        for number, image in enumerate(images):
            if not isinstance(image, dict) or not isinstance(image.get("alt"), str):
                raise _invalid(f'record/embed/images/{number} must have the property "alt"')
            _blob(store, handle, image.get("image"), "image/", IMAGE_MAX_BYTES)
    elif kind == "app.bsky.embed.video":
        _blob(store, handle, embed.get("video"), "video/mp4", VIDEO_MAX_BYTES)
    else:
        raise _invalid('record/embed must be an object which includes the "$type" property')


def _blob(store: Store, handle: str, ref: Any, accept: str, max_size: int) -> None:
    link = ref.get("ref", {}).get("$link") if isinstance(ref, dict) else None
    uploaded = store.get(NAME, str(link), kind="blob") if link else None
    if uploaded is None or uploaded.account != handle:
        raise _error(400, "BlobNotFound", f"Could not find blob: {link}")
    if not str(uploaded.body["mimeType"]).startswith(accept):
        raise _invalid(
            f"Wrong type of file. It is {uploaded.body['mimeType']} but it must match {accept}"
        )
    if uploaded.body["size"] > max_size:
        raise _invalid(
            f"This file is too large. It is {uploaded.body['size']} bytes but the maximum "
            f"size is {max_size} bytes"
        )


def _invalid(message: str) -> PlatformAnswer:
    return _error(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {message}")


@router.get("/xrpc/com.atproto.repo.getRecord")
def get_record(request: Request) -> dict[str, Any]:
    query = request.query_params
    repo, collection, rkey = query.get("repo"), query.get("collection"), query.get("rkey")
    if not (repo and collection and rkey):
        raise _error(
            400, "InvalidRequest", "Params must have the properties repo, collection, rkey"
        )
    store = store_of(request)
    did = repo if repo.startswith("did:") else _did(repo.lower())
    uri = f"at://{did}/{collection}/{rkey}"
    record = store.get(NAME, uri, kind="post")
    if record is None:
        raise _error(400, "RecordNotFound", f"Could not locate record: {uri}")
    value = {k: v for k, v in record.body.items() if k not in ("rkey", "cid")}
    return {"uri": uri, "cid": record.body["cid"], "value": value}


_TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"


def _next_tid() -> str:
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(_TID_CHARS[(value >> shift) & 31] for shift in range(60, -1, -5))


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _error(400, "InvalidRequest", "Request body is not JSON") from None
    if not isinstance(body, dict):
        raise _error(400, "InvalidRequest", "Request body must be an object")
    return body


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """Bluesky throttles with ``RateLimit-*`` headers, the reset in Unix seconds."""
    if spec.kind == "rate_limit":
        reset = int(time.time() + spec.retry_after)
        headers = {
            "RateLimit-Limit": str(RATE_POINTS),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{RATE_POINTS};w={RATE_WINDOW}",
        }
        body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        return JSONResponse(body, 429, headers=headers)
    if spec.kind == "unauthorized":
        return JSONResponse(
            {"error": "AuthenticationRequired", "message": "Token has been revoked"}, 401
        )
    if spec.kind == "server_error":
        return JSONResponse(
            {"error": "InternalServerError", "message": "Internal Server Error"}, spec.status
        )
    return None
