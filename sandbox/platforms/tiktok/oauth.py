"""TikTok Login Kit's token endpoint, "Manage User Access Tokens".

``POST /v2/oauth/token/`` (form ``client_key``, ``client_secret``,
``grant_type=refresh_token``, ``refresh_token``) swaps a refresh token for a new access token and
a new refresh token; the old one stops working. Unlike the rest of the API it answers the token
itself, not TikTok's ``data`` envelope, and its errors are OAuth's ``error``/``error_description``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import account_of, store_of
from sandbox.forms import urlencoded_form
from sandbox.platforms.tiktok.common import NAME, log_id

router = APIRouter()


@router.post("/v2/oauth/token/", response_model=None)
async def token(request: Request) -> dict[str, Any] | Response:
    """Login Kit "Manage User Access Tokens": refresh answers the token itself, not ``data``."""
    form = await urlencoded_form(request)
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
    body = {"error": code, "error_description": description, "log_id": log_id()}
    return JSONResponse(body, status_code=400 if code != "invalid_client" else 401)
