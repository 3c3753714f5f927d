"""LinkedIn's versioned REST API (``/rest/...``): Posts, Images, Videos, and the OAuth endpoint.

One module per part of the API, each describing its endpoints:

- ``oauth``: ``POST /oauth/v2/accessToken``, a refresh token for a new access token;
- ``posts``: ``POST /rest/posts`` (a duplicate is 422 ``DUPLICATE_POST``) and the author finder;
- ``uploads``: ``/rest/images`` and ``/rest/videos`` uploads and the URLs their bytes go to;
- ``common``: the ``/rest`` headers every call needs, LinkedIn's error shapes and its faults.

Errors have LinkedIn's shapes: ``{"status", "serviceErrorCode", "code", "message"}`` for 401,
403 and 429 (a 429 with no ``Retry-After``: daily limits reset at midnight UTC), and
``{"errorDetailType", "message", "errorDetails": {"inputErrors": [...]}, "status"}`` for 4xx
validation errors.
"""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.platforms.linkedin.common import NAME, fault_response
from sandbox.platforms.linkedin.oauth import router as oauth_router
from sandbox.platforms.linkedin.posts import router as posts_router
from sandbox.platforms.linkedin.uploads import router as uploads_router

__all__ = ["NAME", "fault_response", "router"]

router = APIRouter()
for part in (oauth_router, posts_router, uploads_router):
    router.include_router(part)
