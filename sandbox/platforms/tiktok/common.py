"""What every TikTok endpoint shares: the caller, TikTok's answer envelope, and its faults.

Every answer is ``{"data": {…}, "error": {"code": "ok"|…, "message", "log_id"}}``, refusals
included; an injected throttle is HTTP 200 with ``error.code`` "rate_limit_exceeded".
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, account_of, bearer
from sandbox.faults import FaultSpec

NAME = "tiktok"


def log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


def ok(data: dict[str, Any]) -> dict[str, Any]:
    """A successful answer in TikTok's envelope."""
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}}


def refuse(status: int, code: str, message: str) -> PlatformAnswer:
    """A refusal in TikTok's envelope, with HTTP ``status``."""
    return PlatformAnswer(status, {"data": {}, "error": _error(code, message)})


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message, "log_id": log_id()}


def caller(request: Request) -> str:
    """The account the bearer token speaks for; TikTok's ``access_token_invalid`` without one."""
    unauthorized = {
        "data": {},
        "error": _error(
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        ),
    }
    return account_of(bearer(request, error=unauthorized))


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or TikTok's ``invalid_params``."""
    try:
        body = await request.json()
    except ValueError:
        raise refuse(400, "invalid_params", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise refuse(400, "invalid_params", "The request body must be a JSON object.")
    return body


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """TikTok's throttle can arrive as HTTP 200 with ``error.code`` "rate_limit_exceeded"."""
    if spec.kind == "rate_limit":
        body = {
            "data": {},
            "error": _error("rate_limit_exceeded", "The API rate limit was exceeded."),
        }
        return JSONResponse(body, status_code=200)
    if spec.kind == "unauthorized":
        body = {
            "data": {},
            "error": _error("access_token_invalid", "The access token is invalid or expired."),
        }
        return JSONResponse(body, status_code=401)
    if spec.kind == "server_error":
        body = {"data": {}, "error": _error("internal_error", "Something went wrong.")}
        return JSONResponse(body, status_code=spec.status)
    return None
