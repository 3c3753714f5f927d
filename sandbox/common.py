"""What every imitated platform needs: the store, the caller's token, and error answers."""

from __future__ import annotations

from typing import Any

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
