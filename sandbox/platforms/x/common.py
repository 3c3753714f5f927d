"""What every X endpoint shares: who is calling, X's error documents, and how faults look on X.

Errors are problem documents (``{"title", "detail", "type", "status"}``, with ``errors`` for an
invalid request); an injected throttle carries X's rate-limit headers.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, account_of, bearer
from sandbox.faults import FaultSpec

NAME = "x"
#: ``POST /2/tweets`` caps: 200 requests per 15 minutes per user, posts per 24 hours per user.
WINDOW_LIMIT, WINDOW_SECONDS, USER_DAY_LIMIT = 200, 900, 300
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


def caller(request: Request) -> str:
    """The account the bearer token speaks for; X's 401 problem document without one."""
    return account_of(bearer(request, error=UNAUTHORIZED))


def problem(status: int, title: str, detail: str, **extra: Any) -> PlatformAnswer:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}
    return PlatformAnswer(status, body)


def invalid(message: str) -> PlatformAnswer:
    """X's 400 for a request it will not take, naming the parameter in ``message``."""
    return PlatformAnswer(
        400,
        {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """X's 429 carries its windows' headers. A wait past the 15-minute window can only be the
    24-hour posting limit: then that window is the exhausted one and says when it resets."""
    if spec.kind == "rate_limit":
        now = time.time()
        headers = {"x-rate-limit-limit": str(WINDOW_LIMIT)}
        if spec.retry_after > WINDOW_SECONDS:
            headers |= {
                "x-rate-limit-remaining": str(WINDOW_LIMIT - 3),
                "x-rate-limit-reset": str(int(now + 60)),
                "x-user-limit-24hour-limit": str(USER_DAY_LIMIT),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(int(now + spec.retry_after)),
            }
        else:
            headers |= {
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(now + spec.retry_after)),
            }
        body = {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        return JSONResponse(body, 429, headers=headers)
    if spec.kind == "unauthorized":
        return JSONResponse(UNAUTHORIZED, 401)
    if spec.kind == "server_error":
        body = {
            "title": "Service Unavailable",
            "detail": "Service Unavailable",
            "type": "about:blank",
            "status": spec.status,
        }
        return JSONResponse(body, spec.status)
    return None
