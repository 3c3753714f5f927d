"""Whether a TikTok delivery is already published, as surely as TikTok lets us tell.

A saved ``publish_id`` makes it certain: Get Post Status says. Without one, only a
``PULL_FROM_URL`` init whose answer was lost can have posted anything, and then all there is to
read is ``/v2/video/list/`` (Display API), which lists only public videos, only after
moderation, with captions cut to 150 characters: a match is trusted, no match proves nothing.

Apart from ``tiktok`` because it reads what the publish flow left behind (progress, the status,
the creator's public videos) and never sends anything.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from platforms.adapters.base import Permanent, PublishRequest, PublishResult, Transient
from platforms.adapters.steps import Steps
from platforms.adapters.tiktok_api import COMPLETE, FAILED, TikTokAPI, int_or_zero, result_of
from platforms.adapters.tiktok_upload import saved_upload

#: Display API video object: ``title`` and ``video_description`` are cut to 150 characters;
#: ``/v2/video/list/`` pages hold at most 20 videos.
LISTED_TEXT_LIMIT = 150
LIST_PAGE_SIZE = 20
#: Ours: a listed caption cut by TikTok matches only if at least this much of it is left.
MATCH_MIN_PREFIX = 100
#: Ours: TikTok's clock and ours differ; a video may carry a time this much before our send.
CLOCK_SKEW = timedelta(minutes=5)


def published(api: TikTokAPI, request: PublishRequest) -> PublishResult | None:
    """Whether this delivery is on TikTok.

    - A saved ``publish_id``: certain. Get Post Status says complete (the post), failed or
      an upload still missing bytes (``None``: ``publish`` then resumes that upload rather
      than starting another), or still processing (``Transient``: ask again later).
    - No publish id and no ``PULL_FROM_URL`` init sent: certain ``None``. The bytes of a
      ``FILE_UPLOAD`` only go to the ``upload_url`` the init answers with, so without that
      answer nothing can have been posted.
    - No publish id after a ``PULL_FROM_URL`` init whose answer was lost: not reliable.
      ``/v2/video/list/`` lists only *public* videos, only after moderation (minutes to
      hours), with captions cut to 150 characters. A video made since the first send whose
      caption matches (equal after NFC and whitespace folding, or TikTok's cut of it a
      prefix of ours) is returned; no match proves nothing, so that raises ``Permanent``
      (TikTok cannot tell) for a person to check the account in the app.
    """
    steps = Steps(request)
    publish_id = steps.get("publish_id")
    if isinstance(publish_id, str):
        status = api.status(publish_id)
        if status.get("status") == COMPLETE:
            return result_of(status, publish_id, creator=steps.get("creator"))
        if status.get("status") == FAILED:
            return None
        upload = saved_upload(steps)
        if upload is not None and int_or_zero(status.get("uploaded_bytes")) < upload.video_size:
            return None  # not all bytes are there: no post yet; publish resumes the upload
        raise Transient(f"TikTok is still processing the video ({status.get('status')})")
    if steps.get("source") != "PULL_FROM_URL":
        return None
    sent = steps.first_sent_at()
    found = _listed(api, request.text, since=sent - CLOCK_SKEW if sent else None)
    if found is not None:
        return found
    raise Permanent(
        "TikTok was asked to fetch the video but its answer was lost, and TikTok lists only "
        "public, moderated videos: check the account in the TikTok app, then mark the "
        "delivery published or send it again"
    )


def _listed(api: TikTokAPI, caption: str, *, since: datetime | None) -> PublishResult | None:
    """The newest public video with this caption made at or after ``since``."""
    data = api.call(
        "/v2/video/list/",
        {"max_count": LIST_PAGE_SIZE},
        creates=False,
        params={"fields": "id,title,video_description,create_time,share_url"},
    )
    wanted = _comparable(caption)
    for video in data.get("videos") or []:
        if not isinstance(video, dict):
            continue
        if since is not None and int_or_zero(video.get("create_time")) < since.timestamp():
            continue
        for field in ("video_description", "title"):
            listed = _comparable(str(video.get(field) or ""))
            if listed and _same_caption(wanted, listed):
                url = video.get("share_url")
                return PublishResult(
                    external_id=str(video.get("id")), url=url if isinstance(url, str) else None
                )
    return None


def _comparable(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _same_caption(wanted: str, listed: str) -> bool:
    """Equal, or ``listed`` is TikTok's cut of ``wanted`` (150 characters, long enough to trust)."""
    if wanted == listed:
        return True
    cut = listed.rstrip("…").rstrip()
    return MATCH_MIN_PREFIX <= len(cut) <= LISTED_TEXT_LIMIT and wanted.startswith(cut)
