"""What every Mastodon endpoint shares: the caller and its account, and Mastodon's errors.

Errors are ``{"error": "..."}``; an injected throttle answers as rack-attack does, with an ISO 8601
``X-RateLimit-Reset`` and no ``Retry-After``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import account_of, base_url, bearer
from sandbox.faults import FaultSpec

NAME = "mastodon"
#: The rate limit rack-attack applies per token: 300 requests per 5 minutes.
RATE_LIMIT = 300
INVALID_TOKEN = {"error": "The access token is invalid"}
NOT_FOUND = {"error": "Record not found"}


def caller(request: Request) -> str:
    """The account the bearer token speaks for; Mastodon's 401 without one."""
    return account_of(bearer(request, error=INVALID_TOKEN))


def account_id_of(handle: str) -> str:
    """A stable numeric id per account, as Mastodon's ids are numbers in strings."""
    return str(int(hashlib.sha256(handle.encode()).hexdigest()[:12], 16))


def account_entity(request: Request, handle: str) -> dict[str, Any]:
    """An account as Mastodon's ``Account`` entity shows it."""
    return {
        "id": account_id_of(handle),
        "username": handle,
        "acct": handle,
        "display_name": handle,
        "url": f"{base_url(request)}/{NAME}/@{handle}",
        "locked": False,
        "bot": False,
    }


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
