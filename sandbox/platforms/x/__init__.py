"""X API v2 (docs.x.com): posts, media upload, the user's timeline, OAuth 2.0 token refresh.

One module per part of the API, each describing its endpoints:

- ``oauth``: ``POST /2/oauth2/token`` (rotating refresh tokens) and the sandbox-only
  ``PUT /x/_sandbox/oauth`` that turns rotation off;
- ``posts``: ``POST /2/tweets`` (no idempotency key: the same text again is a 403 duplicate),
  ``GET /2/users/me`` and ``GET /2/users/:id/tweets``, serving posts back as X does;
- ``media``: the image upload, the chunked video upload and its processing, and alt text;
- ``common``: the caller, X's error documents and how faults look on X.

Errors are problem documents: ``{"title", "detail", "type", "status"}``, with ``errors`` for
invalid requests. Rate limits: ``x-rate-limit-limit``/``-remaining``/``-reset`` (Unix seconds) per
15-minute window, and ``x-user-limit-24hour-*``/``x-app-limit-24hour-*`` for posting.
"""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.platforms.x.common import NAME, fault_response
from sandbox.platforms.x.media import router as media_router
from sandbox.platforms.x.oauth import router as oauth_router
from sandbox.platforms.x.posts import router as posts_router

__all__ = ["NAME", "fault_response", "router"]

router = APIRouter()
for part in (oauth_router, posts_router, media_router):
    router.include_router(part)
