"""X's OAuth 2.0 token endpoint: refresh tokens rotate and a spent one is refused.

``POST /2/oauth2/token`` (form ``grant_type=refresh_token``, ``refresh_token``, and ``client_id``
or HTTP Basic client credentials) answers a new access token (``expires_in`` 7,200 s) and a new
refresh token; the one used is spent, and a spent or revoked one is 400 ``invalid_request``.
``PUT /x/_sandbox/oauth`` with ``{"rotate_refresh_tokens": false}`` (sandbox-only) makes the
endpoint answer without a new refresh token, as some OAuth servers do.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import PlatformAnswer, account_of, store_of
from sandbox.forms import urlencoded_form
from sandbox.platforms.x.common import NAME
from sandbox.store import Store

#: OAuth 2.0 access tokens last two hours (docs.x.com, "OAuth 2.0 Authorization Code with PKCE").
ACCESS_SECONDS = 7200

router = APIRouter()


def _config(store: Store) -> dict[str, Any]:
    configured = store.records(NAME, kind="config")
    return dict(configured[-1].body) if configured else {}


@router.put("/_sandbox/oauth", status_code=204)
async def configure_oauth(request: Request) -> None:
    body = json.loads(await request.body() or b"{}")
    store = store_of(request)
    store.add(NAME, account="app", kind="config", body={**_config(store), **body})


@router.post("/2/oauth2/token")
async def token(request: Request) -> dict[str, Any]:
    form = await urlencoded_form(request)
    client = form.get("client_id") or _basic_client(request.headers.get("authorization", ""))
    if form.get("grant_type") != "refresh_token":
        raise PlatformAnswer(
            400,
            {"error": "unsupported_grant_type", "error_description": "Grant type not supported"},
        )
    refresh = form.get("refresh_token", "")
    store = store_of(request)
    spent = {r.body["refresh_token"] for r in store.records(NAME, kind="refresh")}
    if not client or not refresh or refresh in spent or store.is_revoked(refresh):
        raise PlatformAnswer(
            400,
            {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            },
        )
    account = account_of(refresh)
    rotate = _config(store).get("rotate_refresh_tokens", True)
    answer: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": ACCESS_SECONDS,
        "access_token": f"{store.issue_token(NAME)}:{account}",
        "scope": "tweet.read tweet.write users.read media.write offline.access",
    }
    if rotate:
        answer["refresh_token"] = f"{store.issue_token(NAME)}:{account}"
        store.add(NAME, account=account, kind="refresh", body={"refresh_token": refresh})
    store.add(NAME, account=account, kind="token", body={"client_id": client, "rotated": rotate})
    return answer


def _basic_client(header: str) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return None
    return client_id if client_id and secret else None
