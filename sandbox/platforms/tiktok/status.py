"""What becomes of a TikTok video once its bytes are in: processing, the post, and its status.

- processing (``complete``): a video that is not an MP4 (no ``ftyp`` box) fails with
  ``file_format_check_failed``; any other becomes a post;
- ``POST /v2/post/publish/status/fetch/``: ``PROCESSING_UPLOAD`` / ``PROCESSING_DOWNLOAD`` →
  ``PUBLISH_COMPLETE`` or ``FAILED`` with ``fail_reason``;
- ``POST /v2/video/list/``: the creator's *public* videos, newest first (Display API).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import store_of
from sandbox.platforms.tiktok.common import NAME, caller, json_body, ok, refuse
from sandbox.store import Record, Store

#: How many status fetches see "processing" before a post completes: enough to make a client poll.
PROCESSING_POLLS = 1
#: Display API video object: ``title`` and ``video_description`` are cut to 150 characters.
LISTED_TEXT_LIMIT = 150
MAX_LIST_COUNT = 20

router = APIRouter()


def complete(store: Store, session: Record) -> None:
    """Every byte is in: TikTok processes the video, then it becomes a post (or fails)."""
    source = session.body["source_info"]["source"]
    if source == "FILE_UPLOAD" and bytes.fromhex(session.state.get("head", ""))[4:8] != b"ftyp":
        session.state.update(status="FAILED", fail_reason="file_format_check_failed")
        return
    if source == "PULL_FROM_URL":
        session.state["downloaded_bytes"] = 1024
    post_info = session.body["post_info"]
    post = store.add(
        NAME,
        account=session.account,
        kind="post",
        body={"text": post_info.get("title", ""), "publish_id": session.id, **session.body},
    )
    post.url = f"https://www.tiktok.com/@{session.account}/video/{post.id}"
    session.state.update(status="PROCESSING", post_id=post.id)


@router.post("/v2/post/publish/status/fetch/")
async def status_fetch(request: Request) -> dict[str, Any]:
    account = caller(request)
    publish_id = (await json_body(request)).get("publish_id")
    session = store_of(request).get(NAME, str(publish_id), kind="publish")
    if session is None or session.account != account:
        raise refuse(400, "invalid_params", "publish_id does not exist.")
    state = session.state
    data: dict[str, Any] = {"status": state["status"]}
    if state["status"] == "PROCESSING":
        state["polls"] += 1
        pulled = session.body["source_info"].get("source") == "PULL_FROM_URL"
        data["status"] = "PROCESSING_DOWNLOAD" if pulled else "PROCESSING_UPLOAD"
        if state["polls"] > PROCESSING_POLLS:
            state["status"] = data["status"] = "PUBLISH_COMPLETE"
    if data["status"] == "PUBLISH_COMPLETE":
        public = session.body["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
        # Only a public post, once moderated, has an id developers may see.
        data["publicaly_available_post_id"] = [int(state["post_id"])] if public else []
    if state["status"] == "FAILED":
        data["fail_reason"] = state["fail_reason"]
    if "video_size" in state:
        data["uploaded_bytes"] = state["uploaded_bytes"]
    if "downloaded_bytes" in state:
        data["downloaded_bytes"] = state["downloaded_bytes"]
    return ok(data)


@router.post("/v2/video/list/")
async def video_list(request: Request) -> dict[str, Any]:
    """The creator's public videos, newest first; ``cursor`` is a create time in milliseconds."""
    account = caller(request)
    if "fields" not in request.query_params:
        raise refuse(400, "invalid_params", "The fields query parameter is required.")
    body = await json_body(request)
    count = body.get("max_count", 10)
    if not isinstance(count, int) or not 1 <= count <= MAX_LIST_COUNT:
        raise refuse(400, "invalid_params", f"max_count must be 1 to {MAX_LIST_COUNT}.")
    cursor = body.get("cursor")
    public = [
        post
        for post in store_of(request).records(NAME, kind="post", account=account)
        if post.body["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
    ]
    public.sort(key=lambda p: p.created_at, reverse=True)
    if isinstance(cursor, int):
        public = [p for p in public if p.created_at.timestamp() * 1000 < cursor]
    page = public[:count]
    videos = [
        {
            "id": post.id,
            "create_time": int(post.created_at.timestamp()),
            "title": post.body["text"][:LISTED_TEXT_LIMIT],
            "video_description": post.body["text"][:LISTED_TEXT_LIMIT],
            "share_url": post.url,
        }
        for post in page
    ]
    next_cursor = int(page[-1].created_at.timestamp() * 1000) if page else 0
    return ok({"videos": videos, "cursor": next_cursor, "has_more": len(public) > count})
