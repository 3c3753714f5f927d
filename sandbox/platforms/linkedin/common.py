"""What every LinkedIn ``/rest`` call shares: its headers, LinkedIn's error shapes, its faults.

- Every ``/rest`` call needs ``LinkedIn-Version: YYYYMM`` (else 400 ``VERSION_MISSING``) and,
  here, ``X-Restli-Protocol-Version: 2.0.0``; both are kept on each record to check.
- Errors: ``{"status", "serviceErrorCode", "code", "message"}`` for 401, 403 and 429 (a 429 with
  no ``Retry-After``: daily limits reset at midnight UTC), and ``{"errorDetailType", "message",
  "errorDetails": {"inputErrors": [...]}, "status"}`` for 4xx validation errors.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, bearer
from sandbox.faults import FaultSpec

NAME = "linkedin"
#: Who may post or own an upload: an organization or a member.
AUTHOR = re.compile(r"^urn:li:(organization|person):[A-Za-z0-9_-]+$")
UNAUTHORIZED = {
    "status": 401,
    "serviceErrorCode": 65600,
    "code": "INVALID_ACCESS_TOKEN",
    "message": "Invalid access token",
}


def rest(request: Request) -> dict[str, Any]:
    """The token and the version headers every ``/rest`` call needs; kept on what it makes."""
    bearer(request, error=UNAUTHORIZED)
    version = request.headers.get("linkedin-version", "")
    if not re.fullmatch(r"\d{6}", version):
        raise PlatformAnswer(
            400,
            {
                "status": 400,
                "code": "VERSION_MISSING",
                "message": "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            },
        )
    protocol = request.headers.get("x-restli-protocol-version")
    if protocol != "2.0.0":
        raise invalid("/headers", "X-Restli-Protocol-Version must be 2.0.0")
    return {"linkedin_version": version, "restli_protocol": protocol}


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or LinkedIn's 422 for the body."""
    try:
        body = await request.json()
    except ValueError:
        raise invalid("/", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise invalid("/", "the body must be an object")
    return body


def invalid(path: str, description: str) -> PlatformAnswer:
    """LinkedIn's 422 for an input it will not take, at ``path`` in the request."""
    return PlatformAnswer(
        422,
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": f"ERROR :: {path} :: {description}",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": description,
                        "input": {"inputPath": {"fieldPath": path}},
                        "code": "INVALID_VALUE",
                    }
                ]
            },
            "status": 422,
        },
    )


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """LinkedIn's throttle says no wait (daily limits reset at midnight UTC); 401s in its shape."""
    if spec.kind == "rate_limit":
        body = {
            "status": 429,
            "serviceErrorCode": 101,
            "code": "TOO_MANY_REQUESTS",
            "message": "Resource level throttle APPLICATION DAY limit for calls to this resource "
            "is reached.",
        }
        return JSONResponse(body, 429)
    if spec.kind == "unauthorized":
        body = {
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user",
        }
        return JSONResponse(body, 401)
    if spec.kind == "server_error":
        return JSONResponse(
            {"message": "Internal Server Error", "status": spec.status}, spec.status
        )
    return None
