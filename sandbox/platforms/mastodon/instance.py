"""What a Mastodon client asks before it posts: the server's limits, and who the token is.

- ``GET /api/v2/instance``: the server's limits (``configuration.statuses.max_characters`` and
  the rest), which ``media`` and ``statuses`` enforce;
- ``GET /api/v1/accounts/verify_credentials``: the token's account.

Sandbox-only: ``PUT /mastodon/_sandbox/instance`` with ``{"max_characters": N}`` sets the
character limit the instance announces, to rehearse a server with a longer limit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import PlatformAnswer, base_url, store_of
from sandbox.platforms.mastodon.common import NAME, account_entity, caller
from sandbox.store import Store

#: Mastodon's defaults: ``StatusLengthValidator::MAX_CHARS``, ``characters_reserved_per_url``,
#: ``Status::MEDIA_ATTACHMENTS_LIMIT``, ``MediaAttachment::MAX_DESCRIPTION_LENGTH``.
DEFAULT_MAX_CHARACTERS = 500
URL_RESERVED = 23
MAX_MEDIA_ATTACHMENTS = 4
DESCRIPTION_LIMIT = 1500

router = APIRouter()


def max_characters(store: Store) -> int:
    """The status length this instance announces and enforces (500 unless the sandbox set one)."""
    configured = store.records(NAME, kind="instance")
    return int(configured[-1].body["max_characters"]) if configured else DEFAULT_MAX_CHARACTERS


@router.get("/api/v2/instance")
def instance(request: Request) -> dict[str, Any]:
    host = base_url(request).split("://", 1)[-1]
    return {
        "domain": host,
        "title": "Callsheet sandbox",
        "version": "4.3.0",
        "configuration": {
            "urls": {"streaming": f"ws://{host}/{NAME}"},
            "statuses": {
                "max_characters": max_characters(store_of(request)),
                "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
                "characters_reserved_per_url": URL_RESERVED,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "video/mp4"],
                "description_limit": DESCRIPTION_LIMIT,
            },
        },
    }


@router.put("/_sandbox/instance", status_code=204)
async def configure_instance(request: Request) -> None:
    body = await request.json()
    limit = body.get("max_characters") if isinstance(body, dict) else None
    if not isinstance(limit, int) or limit < 1:
        raise PlatformAnswer(422, {"error": "max_characters must be a positive integer"})
    store_of(request).add(NAME, account="instance", kind="instance", body={"max_characters": limit})


@router.get("/api/v1/accounts/verify_credentials")
def verify_credentials(request: Request) -> dict[str, Any]:
    return account_entity(request, caller(request))
