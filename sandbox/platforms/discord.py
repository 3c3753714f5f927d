"""Discord incoming webhooks: ``POST /api/webhooks/{id}/{token}?wait=true``.

With ``wait=true`` Discord answers with the message object (its ``id``); without it, 204 and
no id. A 429 carries ``retry_after`` (seconds, a float) in the body and a ``Retry-After``
header. Content is limited to 2,000 characters (400 with a field error otherwise).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, base_url, store_of
from sandbox.faults import FaultSpec

NAME = "discord"
CONTENT_LIMIT = 2000

router = APIRouter()


@router.post("/api/webhooks/{webhook_id}/{token}", response_model=None)
async def execute(webhook_id: str, token: str, request: Request) -> dict[str, Any] | Response:
    store = store_of(request)
    if store.is_revoked(token):
        raise PlatformAnswer(401, {"message": "Invalid Webhook Token", "code": 50027})
    body = await request.json()
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise PlatformAnswer(400, {"message": "Cannot send an empty message", "code": 50006})
    if len(content) > CONTENT_LIMIT:
        errors = {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}}
        raise PlatformAnswer(400, {"message": "Invalid Form Body", "code": 50035, "errors": errors})
    record = store.add(NAME, account=webhook_id, kind="post", body={"text": content, **body})
    record.url = f"{base_url(request)}/{NAME}/channels/{webhook_id}/{record.id}"
    if request.query_params.get("wait") != "true":
        return Response(status_code=204)
    return {"id": record.id, "channel_id": webhook_id, "content": content, "type": 0}


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """Discord's 429 says how long in its body as well as in ``Retry-After``."""
    if spec.kind != "rate_limit":
        return None
    body = {"message": "You are being rate limited.", "retry_after": spec.retry_after}
    headers = {"Retry-After": str(spec.retry_after), "X-RateLimit-Scope": "user"}
    return JSONResponse({**body, "global": False}, 429, headers=headers)
