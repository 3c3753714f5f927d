"""X media upload (API v2): the steps between a file and a ``media_id`` a post can carry.

- Images: one ``POST /2/media/upload`` (multipart ``media``, ``media_category=tweet_image``).
- Video and GIF: ``POST /2/media/upload/initialize`` (``media_type``, ``total_bytes``,
  ``media_category``) → ``POST /2/media/upload/{id}/append`` per chunk (``segment_index``,
  ``media``) → ``POST /2/media/upload/{id}/finalize``; then, while ``processing_info.state`` is
  ``pending`` or ``in_progress``, ``GET /2/media/upload?command=STATUS&media_id=…`` after
  ``check_after_secs``. A post may only carry the media once it has ``succeeded``.
- Alt text: ``POST /2/media/metadata`` with ``{"id", "metadata": {"alt_text": {"text"}}}``.

Each step that succeeds is saved to the delivery's progress (``media``: per medium its id, when
the id expires, whether its alt text is set), so a retry picks up where the last attempt
stopped. An upload never shows on the account until a post carries it, so a lost answer here
is ``Transient``: the worst case is an orphan upload X deletes when it expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from platforms.adapters.base import Media, Permanent, Progress, Transient
from platforms.adapters.http import as_mapping
from platforms.adapters.media import MediaFile, load_media

#: X media limits (docs.x.com, "Media best practices"): images up to 5 MB, GIFs 15 MB, video
#: 512 MB; at most 4 images or one GIF or video per post.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
GIF_MAX_BYTES = 15 * 1024 * 1024
VIDEO_MAX_BYTES = 512 * 1024 * 1024
MAX_IMAGES = 4
#: APPEND chunks may be up to 5 MB; 4 MiB leaves room for the multipart framing.
CHUNK_BYTES = 4 * 1024 * 1024
#: X keeps an uploaded, unattached medium for ``expires_after_secs`` (a day for images); an id
#: closer than this to expiring is uploaded again rather than risk a refused post.
EXPIRY_MARGIN_SECONDS = 600

Send = Callable[..., httpx.Response]


class XMedia:
    """Uploads one post's media through ``send`` (the adapter's authenticated request)."""

    def __init__(
        self,
        send: Send,
        *,
        client: httpx.Client | None = None,
        timeout: float,
        poll_seconds: float | None,
        wait_seconds: float,
    ) -> None:
        self._send = send
        self._client = client  # the adapter's, so media links go through its egress policy
        self._timeout = timeout
        self._poll_seconds = poll_seconds
        self._wait_seconds = wait_seconds

    def media_ids(self, media: list[Media], progress: Progress, key: str) -> list[str]:
        """Every medium's id, ready to attach, resuming from ``progress`` saved under ``key``."""
        if not media:
            return []
        if len(media) > MAX_IMAGES or (
            len(media) > 1 and any(_category(m, None) != "tweet_image" for m in media)
        ):
            raise Permanent("X takes at most 4 images, or one video or GIF, per post")
        saved = {k: dict(v) for k, v in as_mapping(progress.state.get("media")).items()}
        if progress.state.get("key") != key:
            saved = {}
        ids = []
        for index, medium in enumerate(media):
            entry = saved.get(str(index))
            if entry is None or float(entry.get("expires_at", 0)) - time.time() < (
                EXPIRY_MARGIN_SECONDS
            ):
                entry = self._upload(medium)
                saved[str(index)] = entry
                progress.save(key=key, media=dict(saved))
            if entry.get("processing"):
                self._wait_until_processed(str(entry["id"]))
                entry["processing"] = False
                progress.save(key=key, media=dict(saved))
            if medium.alt and not entry.get("alt"):
                self._describe(str(entry["id"]), medium.alt)
                entry["alt"] = True
                progress.save(key=key, media=dict(saved))
            ids.append(str(entry["id"]))
        return ids

    def _upload(self, medium: Media) -> dict[str, Any]:
        loaded = load_media(medium, client=self._client, timeout=self._timeout)
        category = _category(medium, loaded)
        limit = {"tweet_image": IMAGE_MAX_BYTES, "tweet_gif": GIF_MAX_BYTES}.get(
            category, VIDEO_MAX_BYTES
        )
        if len(loaded.data) > limit:
            raise Permanent(f"{loaded.filename} is {len(loaded.data):,} bytes; X takes {limit:,}")
        if category == "tweet_image":
            response = self._send(
                "POST",
                "/2/media/upload",
                files={"media": (loaded.filename, loaded.data, loaded.content_type)},
                data={"media_category": category, "media_type": loaded.content_type},
            )
            data = _data(response)
        else:
            data = self._upload_in_chunks(loaded, category)
        info = as_mapping(data.get("processing_info"))
        return {
            "id": str(data["id"]),
            "expires_at": time.time() + float(data.get("expires_after_secs") or 86400),
            "processing": info.get("state") in ("pending", "in_progress"),
            "alt": False,
        }

    def _upload_in_chunks(self, loaded: MediaFile, category: str) -> Mapping[str, Any]:
        started = _data(
            self._send(
                "POST",
                "/2/media/upload/initialize",
                json={
                    "media_type": loaded.content_type,
                    "total_bytes": len(loaded.data),
                    "media_category": category,
                },
            )
        )
        media_id = str(started["id"])
        for segment, offset in enumerate(range(0, len(loaded.data), CHUNK_BYTES)):
            chunk = loaded.data[offset : offset + CHUNK_BYTES]
            self._send(
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={"media": (loaded.filename, chunk, "application/octet-stream")},
                data={"segment_index": str(segment)},
            )
        return _data(self._send("POST", f"/2/media/upload/{media_id}/finalize"))

    def _wait_until_processed(self, media_id: str) -> None:
        deadline = time.monotonic() + self._wait_seconds
        while True:
            data = _data(
                self._send(
                    "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
                )
            )
            info = as_mapping(data.get("processing_info"))
            state = info.get("state", "succeeded")
            if state == "succeeded":
                return
            if state == "failed":
                error = as_mapping(info.get("error"))
                raise Permanent(f"X could not process media {media_id}: {error.get('message')}")
            wait = self._poll_seconds
            if wait is None:
                wait = float(info.get("check_after_secs") or 1)
            if time.monotonic() + wait > deadline:
                raise Transient(
                    f"X is still processing media {media_id} after {self._wait_seconds:.0f}s; "
                    "the post will carry it on retry"
                )
            time.sleep(wait)

    def _describe(self, media_id: str, alt: str) -> None:
        self._send(
            "POST",
            "/2/media/metadata",
            json={"id": media_id, "metadata": {"alt_text": {"text": alt}}},
        )


def _category(medium: Media, loaded: MediaFile | None) -> str:
    if medium.kind == "video":
        return "tweet_video"
    is_gif = medium.url.lower().endswith(".gif") or (
        loaded is not None and loaded.content_type == "image/gif"
    )
    return "tweet_gif" if is_gif else "tweet_image"


def _data(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise Transient(f"X answered {response.request.url.path} without its data")
    return data
