"""Mastodon's REST API (docs.joinmastodon.org, "methods/statuses", "methods/media").

One module per part of the API, each describing its endpoints:

- ``instance``: the server's limits (``GET /api/v2/instance``, set by the sandbox-only
  ``PUT /mastodon/_sandbox/instance``) and who the token is (``verify_credentials``);
- ``media``: ``POST /api/v2/media`` and ``GET /api/v1/media/:id`` while a video is processed;
- ``statuses``: ``POST /api/v1/statuses`` (with Mastodon's ``Idempotency-Key``), reading a
  status and its source, an account's statuses, and the ``Status`` entity with its text as
  Mastodon's ``TextFormatter`` renders it;
- ``common``: the caller, accounts, and Mastodon's error and throttle shapes.

Errors are ``{"error": "..."}``: 401 for a missing or revoked token, 404 "Record not found", 422
"Validation failed: ...". A throttled client gets 429 with ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (ISO 8601) and no ``Retry-After``
(Mastodon's ``config/initializers/rack_attack.rb``).
"""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.platforms.mastodon.common import NAME, fault_response
from sandbox.platforms.mastodon.instance import router as instance_router
from sandbox.platforms.mastodon.media import router as media_router
from sandbox.platforms.mastodon.statuses import router as statuses_router

__all__ = ["NAME", "fault_response", "router"]

router = APIRouter()
for part in (instance_router, media_router, statuses_router):
    router.include_router(part)
