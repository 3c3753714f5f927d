"""LinkedIn's Posts API: creating a post, refusing a duplicate, and the author finder.

- ``POST /rest/posts`` (``author``, ``commentary`` in the little text format, ``visibility``,
  ``distribution``, ``lifecycleState``, optional ``content.media`` or ``content.multiImage``)
  answers 201 with an empty body and the new URN in ``x-restli-id``. The same author posting
  the same commentary and content again gets 422 ``DUPLICATE_POST`` naming the existing post.
  Media must be the author's own uploads, uploaded (see ``uploads``).
- ``GET /rest/posts?q=author&author=…&count=&start=&sortBy=CREATED`` lists an author's posts.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from sandbox.common import PlatformAnswer, base_url, store_of
from sandbox.platforms.linkedin.common import AUTHOR, NAME, invalid, json_body, rest
from sandbox.store import Record, Store

COMMENTARY_LIMIT = 3000
MULTI_IMAGE_MIN, MULTI_IMAGE_MAX = 2, 20

router = APIRouter()


@router.post("/rest/posts", status_code=201)
async def create_post(request: Request) -> Response:
    headers = rest(request)
    body = await json_body(request)
    store = store_of(request)
    author = body.get("author")
    if not isinstance(author, str) or not AUTHOR.match(author):
        raise invalid("/author", "author must be an organization or person URN")
    commentary = body.get("commentary", "")
    if not isinstance(commentary, str) or len(_plain(commentary)) > COMMENTARY_LIMIT:
        raise invalid("/commentary", f"commentary is longer than {COMMENTARY_LIMIT} characters")
    _check_distribution(body)
    content = _check_content(store, author, body.get("content"))
    for earlier in store.records(NAME, kind="post", account=author):
        if earlier.body.get("commentary") == commentary and earlier.body.get("content") == content:
            raise _duplicate(earlier.id)
    record = store.add(
        NAME,
        account=author,
        kind="post",
        body={"text": commentary, **body},
        record_id=f"urn:li:share:{store.next_id()}",
        state=headers,
    )
    record.url = f"{base_url(request)}/{NAME}/feed/update/{record.id}/"
    return Response(status_code=201, headers={"x-restli-id": record.id})


@router.get("/rest/posts")
async def posts_by_author(request: Request) -> dict[str, Any]:
    rest(request)
    params = request.query_params
    if params.get("q") != "author" or not params.get("author"):
        raise invalid("/q", "the author finder needs q=author and author")
    try:
        count = max(1, min(100, int(params.get("count", "10"))))
        start = max(0, int(params.get("start", "0")))
    except ValueError:
        raise invalid("/count", "count and start must be numbers") from None
    posts = list(reversed(store_of(request).records(NAME, kind="post", account=params["author"])))
    page = posts[start : start + count]
    return {
        "paging": {"start": start, "count": count, "total": len(posts), "links": []},
        "elements": [_render(post) for post in page],
    }


def _render(post: Record) -> dict[str, Any]:
    millis = int(post.created_at.timestamp() * 1000)
    shown = {k: v for k, v in post.body.items() if k != "text"}
    return {
        **shown,
        "id": post.id,
        "createdAt": millis,
        "publishedAt": millis,
        "lastModifiedAt": millis,
    }


def _check_distribution(body: dict[str, Any]) -> None:
    if body.get("visibility") not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN"):
        raise invalid("/visibility", "visibility must be PUBLIC, CONNECTIONS or LOGGED_IN")
    distribution = body.get("distribution")
    if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in (
        "MAIN_FEED",
        "NONE",
    ):
        raise invalid("/distribution/feedDistribution", "feedDistribution is required")
    for field in ("targetEntities", "thirdPartyDistributionChannels"):
        if not isinstance(distribution.get(field), list):
            raise invalid(f"/distribution/{field}", f"{field} must be an array")
    if body.get("lifecycleState") not in ("PUBLISHED", "DRAFT"):
        raise invalid("/lifecycleState", "lifecycleState must be PUBLISHED or DRAFT")


def _check_content(store: Store, author: str, content: Any) -> Any:
    if content is None:
        return None
    if not isinstance(content, dict):
        raise invalid("/content", "content must be an object")
    if "media" in content:
        _check_asset(store, author, content["media"].get("id"), "/content/media/id")
    elif "multiImage" in content:
        images = content["multiImage"].get("images") or []
        if not MULTI_IMAGE_MIN <= len(images) <= MULTI_IMAGE_MAX:
            raise invalid("/content/multiImage/images", "a multi-image post takes 2 to 20 images")
        for index, image in enumerate(images):
            path = f"/content/multiImage/images/{index}/id"
            _check_asset(store, author, image.get("id"), path, kinds=("image",))
    else:
        raise invalid("/content", "content must hold media or multiImage")
    return content


def _check_asset(
    store: Store, author: str, urn: Any, path: str, kinds: tuple[str, ...] = ("image", "video")
) -> None:
    asset = store.get(NAME, str(urn), kind=None)
    if asset is None or asset.kind not in kinds or asset.account != author:
        raise invalid(path, f"{urn} is not an upload of this author")
    if asset.state.get("status") != "AVAILABLE":
        raise invalid(path, f"{urn} has not been uploaded (status {asset.state.get('status')})")


def _duplicate(urn: str) -> PlatformAnswer:
    return PlatformAnswer(
        422,
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
            f"Content is a duplicate of {urn}",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": "Duplicate post is detected",
                        "input": {},
                        "code": "DUPLICATE_POST",
                    }
                ]
            },
            "status": 422,
        },
    )


def _plain(commentary: str) -> str:
    """The commentary as readers see it: little text escapes removed."""
    return re.sub(r"\\(.)", r"\1", commentary)
