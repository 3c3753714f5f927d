"""LinkedIn's OAuth 2.0 token endpoint: a refresh token for a new access token.

``POST /oauth/v2/accessToken`` (form ``grant_type=refresh_token``, ``refresh_token``,
``client_id``, ``client_secret``) issues a new access token (60 days) and returns the same
refresh token, as LinkedIn does; a revoked one is 400 ``invalid_grant``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request

from sandbox.common import PlatformAnswer, store_of
from sandbox.platforms.linkedin.common import NAME

ACCESS_TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_TOKEN_SECONDS = 365 * 24 * 3600

router = APIRouter()


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
