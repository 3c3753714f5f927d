"""TikTok Content Posting API v2 (Direct Post) and the bits of Login Kit and Display API it needs.

Real paths under ``/tiktok`` (developers.tiktok.com, "Content Posting API reference"), one module
per part of the flow, each describing its endpoints:

- ``oauth``: ``POST /v2/oauth/token/``, a refresh token for a new pair;
- ``publish``: ``POST /v2/post/publish/creator_info/query/`` (what the creator may post) and
  ``POST /v2/post/publish/video/init/`` (starting a post, from a file or a URL);
- ``upload``: the chunk rules and the upload URL the bytes go to (``PUT /video/``);
- ``status``: processing into a post, ``POST /v2/post/publish/status/fetch/``, and the Display
  API's ``POST /v2/video/list/`` of the creator's public videos;
- ``common``: the caller, TikTok's answer envelope, and how faults look on TikTok.

Every answer is ``{"data": {…}, "error": {"code": "ok"|…, "message", "log_id"}}``. As on TikTok,
a throttled request can come back as HTTP 200 with ``error.code`` "rate_limit_exceeded" (that is
how the ``rate_limit`` fault looks here).

Rehearsal knobs, by the account a token speaks for (see ``sandbox.common.account_of``): an
account whose name contains "private" is a private account (privacy options
``FOLLOWER_OF_CREATOR`` and ``SELF_ONLY`` only); "quiet" has comments, duets and stitches turned
off; "capped" has reached the daily post cap (``spam_risk_too_many_posts``). An uploaded file
that is not an MP4 (no ``ftyp`` box) fails processing with ``file_format_check_failed``.
"""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.platforms.tiktok.common import NAME, fault_response
from sandbox.platforms.tiktok.oauth import router as oauth_router
from sandbox.platforms.tiktok.publish import router as publish_router
from sandbox.platforms.tiktok.status import router as status_router
from sandbox.platforms.tiktok.upload import router as upload_router

__all__ = ["NAME", "fault_response", "router"]

router = APIRouter()
for part in (oauth_router, publish_router, upload_router, status_router):
    router.include_router(part)
