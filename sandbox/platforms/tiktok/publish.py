"""TikTok Direct Post: what the creator may post, and starting a post from a file or a URL.

- ``POST /v2/post/publish/creator_info/query/``: who is posting, which privacy levels they
  allow, whether comments/duets/stitches are off, the longest video they may post;
- ``POST /v2/post/publish/video/init/``: ``post_info`` + ``source_info``; answers ``publish_id``
  and, for ``FILE_UPLOAD``, an ``upload_url`` (see ``upload``); a ``PULL_FROM_URL`` video is
  fetched at once and goes on to processing (see ``status``).

The creator's options come from the account's name (the package's rehearsal knobs): "private",
"quiet" and "capped".
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request

from sandbox.common import base_url, store_of
from sandbox.platforms.tiktok.common import NAME, caller, json_body, ok, refuse
from sandbox.platforms.tiktok.status import complete
from sandbox.platforms.tiktok.upload import chunk_plan

#: Direct Post reference: ``post_info.title`` at most 2,200 UTF-16 code units.
TITLE_LIMIT = 2200
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
MAX_DURATION_SECONDS = 600

router = APIRouter()


def _creator(account: str) -> dict[str, Any]:
    private = "private" in account
    quiet = "quiet" in account
    if private:
        options = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]
    else:
        options = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    return {
        "creator_avatar_url": f"https://p16.tiktokcdn.test/{account}.jpeg",
        "creator_username": account,
        "creator_nickname": account.replace("-", " ").title(),
        "privacy_level_options": options,
        "comment_disabled": quiet,
        "duet_disabled": quiet,
        "stitch_disabled": quiet,
        "max_video_post_duration_sec": MAX_DURATION_SECONDS,
    }


def _check_cap(account: str) -> None:
    """A "capped" account has reached the daily post cap."""
    if "capped" in account:
        raise refuse(
            403,
            "spam_risk_too_many_posts",
            "The daily post cap from the API is reached for the current user.",
        )


@router.post("/v2/post/publish/creator_info/query/")
async def creator_info(request: Request) -> dict[str, Any]:
    account = caller(request)
    _check_cap(account)
    return ok(_creator(account))


@router.post("/v2/post/publish/video/init/")
async def video_init(request: Request) -> dict[str, Any]:
    account = caller(request)
    body = await json_body(request)
    post_info, source_info = body.get("post_info"), body.get("source_info")
    if not isinstance(post_info, dict) or not isinstance(source_info, dict):
        raise refuse(400, "invalid_params", "post_info and source_info are required.")
    _check_post_info(post_info, _creator(account))
    _check_cap(account)
    store = store_of(request)
    source = source_info.get("source")
    publish_id = f"v_pub_{'url' if source == 'PULL_FROM_URL' else 'file'}~v2-1.{store.next_id()}"
    state: dict[str, Any] = {"status": "PROCESSING_UPLOAD", "uploaded_bytes": 0, "polls": 0}
    data: dict[str, Any] = {"publish_id": publish_id}
    if source == "FILE_UPLOAD":
        state.update(chunk_plan(source_info))
        upload_id = store.next_id()
        state["upload_token"] = secrets.token_urlsafe(12)
        data["upload_url"] = (
            f"{base_url(request)}/{NAME}/video/?upload_id={upload_id}"
            f"&upload_token={state['upload_token']}"
        )
        state["upload_id"] = upload_id
    elif source == "PULL_FROM_URL":
        url = source_info.get("video_url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise refuse(
                403,
                "url_ownership_unverified",
                "The video_url must be an https URL on a domain verified for this app.",
            )
        state.update(status="PROCESSING_DOWNLOAD", downloaded_bytes=0)
    else:
        raise refuse(
            400, "invalid_params", "source_info.source must be FILE_UPLOAD or PULL_FROM_URL."
        )
    session = store.add(
        NAME,
        account=account,
        kind="publish",
        body=body,
        record_id=publish_id,
        state=state,
    )
    if source == "PULL_FROM_URL":
        complete(store, session)
    return ok(data)


def _check_post_info(post_info: dict[str, Any], creator: dict[str, Any]) -> None:
    title = post_info.get("title", "")
    if not isinstance(title, str) or len(title.encode("utf-16-le")) // 2 > TITLE_LIMIT:
        raise refuse(400, "invalid_params", f"post_info.title exceeds {TITLE_LIMIT} characters.")
    privacy = post_info.get("privacy_level")
    if privacy not in PRIVACY_LEVELS:
        raise refuse(400, "invalid_params", "post_info.privacy_level is missing or invalid.")
    if privacy not in creator["privacy_level_options"]:
        raise refuse(
            403,
            "privacy_level_option_mismatch",
            "privacy_level is not one of the creator's privacy_level_options.",
        )
    for flag in ("comment", "duet", "stitch"):
        if creator[f"{flag}_disabled"] and post_info.get(f"disable_{flag}") is not True:
            raise refuse(
                400,
                "invalid_params",
                f"The creator has turned {flag}s off; disable_{flag} must be true.",
            )
