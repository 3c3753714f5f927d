"""What every imitated platform needs: the store, the caller's token, error answers, and the
few text rules more than one platform applies the same way (links in post text, JSON times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import regex
from fastapi import Request
from fastapi.responses import JSONResponse

from sandbox.store import Store


class PlatformAnswer(Exception):
    """Raise from a handler to answer with ``status`` and a platform-shaped JSON ``body``."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status, self.body, self.headers = status, body, headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def bearer(request: Request, *, error: dict[str, Any] | None = None) -> str:
    """The caller's bearer token; a missing or revoked one is a 401 in the platform's shape."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or store_of(request).is_revoked(token):
        raise PlatformAnswer(401, error or {"error": "invalid or revoked access token"})
    return token


def account_of(token: str) -> str:
    """Which account a token speaks for: the sandbox names accounts by their token's tail.

    Tokens are opaque to the sandbox; to keep one account's posts apart from another's without
    a sign-up step, a token ``anything:handle`` speaks for ``handle`` and any other token for
    the account "sandbox-user". Refreshed tokens keep the account (see each token endpoint).
    """
    _, sep, handle = token.rpartition(":")
    return handle if sep and handle else "sandbox-user"


def base_url(request: Request) -> str:
    """Where this sandbox is reachable, for the links and upload URLs it hands out."""
    return str(request.base_url).rstrip("/")


#: A link in post text, as the sandbox finds one for X's and Mastodon's length counts (both count
#: any link as 23 characters) and for the links they wrap or render: trailing punctuation is not
#: part of the link.
LINK = regex.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")


def json_time(when: datetime) -> str:
    """A UTC time as X and Mastodon write it in JSON: ``2026-10-01T12:00:00.000Z``."""
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
