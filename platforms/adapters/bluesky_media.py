"""Bluesky media: each file uploaded as a blob, and the embed that shows them on the first part.

Each file goes up with ``com.atproto.repo.uploadBlob``; images are embedded as
``app.bsky.embed.images`` with their alt text, a video as ``app.bsky.embed.video``. Blob
references are saved to progress (``blobs``), so a retry does not upload them again. A blob no
record refers to is invisible and removed by the PDS after a while, so an upload whose answer
was lost is only ``Transient``; and when the PDS has removed one before the post was made
(``BlobNotFound``), ``bluesky`` clears ``blobs`` and asks for the embed again.

Apart from ``bluesky`` because the embed is made once, before the first record, from files
and lexicon limits the records themselves never deal with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.adapters.base import Media, Permanent, PublishRequest, Transient
from platforms.adapters.bluesky_session import BlueskySession
from platforms.adapters.http import as_mapping, json_object
from platforms.adapters.media import load_media

#: Lexicon ``app.bsky.embed.images``: at most 4 images of at most 2,000,000 bytes each.
MAX_IMAGES = 4
IMAGE_MAX_BYTES = 2_000_000
#: Lexicon ``app.bsky.embed.video``: one ``video/mp4`` of at most 300,000,000 bytes.
VIDEO_MAX_BYTES = 300_000_000


def embed(session: BlueskySession, request: PublishRequest) -> dict[str, Any] | None:
    """The post's embed, its blobs reused from progress or uploaded now; ``None`` without media."""
    media = list(request.media)
    if not media:
        return None
    videos = [m for m in media if m.kind == "video"]
    if videos and len(media) > 1:
        raise Permanent("Bluesky takes one video alone, not with other images or videos")
    if len(media) > MAX_IMAGES:
        raise Permanent(f"Bluesky takes at most {MAX_IMAGES} images; this post has {len(media)}")
    saved = dict(as_mapping(request.progress.state.get("blobs")))
    blobs = []
    for index, medium in enumerate(media):
        blob = saved.get(str(index))
        if not isinstance(blob, Mapping):
            blob = _upload(session, medium)
            saved[str(index)] = blob
            request.progress.save(key=request.idempotency_key, blobs=dict(saved))
        blobs.append(dict(blob))
    if videos:
        video: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blobs[0]}
        if media[0].alt:
            video["alt"] = media[0].alt
        return video
    images = [{"image": blob, "alt": m.alt or ""} for blob, m in zip(blobs, media, strict=True)]
    return {"$type": "app.bsky.embed.images", "images": images}


def _upload(session: BlueskySession, medium: Media) -> dict[str, Any]:
    loaded = load_media(medium, client=session.http.given_client, timeout=session.http.timeout)
    limit = VIDEO_MAX_BYTES if medium.kind == "video" else IMAGE_MAX_BYTES
    if len(loaded.data) > limit:
        raise Permanent(f"{loaded.filename} is {len(loaded.data):,} bytes; Bluesky takes {limit:,}")
    if medium.kind == "video" and loaded.content_type != "video/mp4":
        raise Permanent(f"Bluesky takes videos as MP4, not {loaded.content_type}")
    response = session.call(
        "POST",
        "com.atproto.repo.uploadBlob",
        creates=False,  # a blob no post refers to is invisible, and removed by the PDS
        content=loaded.data,
        headers={"Content-Type": loaded.content_type},
    )
    blob = json_object(response).get("blob")
    if not isinstance(blob, dict):
        raise Transient("Bluesky answered the upload without a blob")
    return blob
