"""YouTube's resumable upload: a session URL, the bytes PUT to it, and asking it where it stands.

(developers.google.com/youtube/v3/guides/using_resumable_upload_protocol)

1. ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the video
   resource and ``X-Upload-Content-Length``/``-Type``. The answer's ``Location`` is the upload
   session URL, saved to progress at once. No video exists yet, so a lost answer here is
   ``Transient``: the orphaned session expires unused.
2. ``PUT`` the bytes to the session in chunks (multiples of 256 KiB) with ``Content-Range``;
   YouTube answers ``308 Resume Incomplete`` (``Range: bytes=0-N``) until the last byte, then
   201 with the video resource.
3. When a ``PUT``'s answer is lost, the session is asked where it stands (``PUT`` with
   ``Content-Range: bytes */TOTAL``): 308 with the bytes it has (the upload continues from
   there) or 201 with the video (it was made: nothing is sent again). A retry starts with that
   same question, so an upload is never restarted and a video never made twice.

Once the last byte has left (``completing`` in progress) the video may exist, so from then on
an answer not given is ``Unknown`` (looked up), never ``Transient``.

Apart from ``youtube`` because this is the upload protocol alone: what the video is (title,
tags, privacy) and how a made video becomes a result stay with the adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from platforms.adapters.base import Permanent, Transient, Unknown
from platforms.adapters.media import MediaFile
from platforms.adapters.steps import Steps
from platforms.adapters.youtube_api import YouTubeAPI

UPLOAD_PATH = "/upload/youtube/v3/videos"
#: Resumable upload guide: chunks are multiples of 256 KiB (the last excepted); Google's client
#: libraries default to 100 MB, ours is 8 MiB so a lost chunk costs little to send again.
CHUNK_GRANULARITY = 256 * 1024
DEFAULT_CHUNK_BYTES = 32 * CHUNK_GRANULARITY


class ResumableUpload:
    """One video's upload session through ``api``; ``url`` is the session in use, a secret
    (anyone holding it can upload), so the adapter scrubs it from messages."""

    def __init__(self, api: YouTubeAPI, *, chunk_bytes: int) -> None:
        self._api = api
        self._chunk_bytes = chunk_bytes
        self.url: str | None = None

    def saved(self, steps: Steps, size: int) -> tuple[str | None, int | dict[str, Any]]:
        """The saved session and where it stands (a byte offset, or the video it made)."""
        session = steps.get("upload_url")
        if not isinstance(session, str):
            return None, 0
        if steps.get("video_size") != size:
            raise Permanent("the video changed since its upload to YouTube began")
        self.url = session
        where = self.asked(steps, session, size)
        if where is None:  # the session expired before the last byte left: start a new one
            steps.save(upload_url=None, completing=None)
            return None, 0
        return session, where

    def open(self, steps: Steps, resource: Mapping[str, Any], file: MediaFile) -> str:
        """Step 1: a resumable session for this video; nothing exists on YouTube yet."""
        headers = {
            "X-Upload-Content-Length": str(len(file.data)),
            "X-Upload-Content-Type": _video_type(file),
        }
        response = self._api.request(
            "POST",
            UPLOAD_PATH,
            creates=False,  # a session is not a video: a lost answer leaves nothing to find
            headers=headers,
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=dict(resource),
        )
        session = str(response.headers.get("location") or "")
        if not session:
            raise Transient("YouTube opened no upload session (no Location); nothing was sent")
        self.url = session
        steps.save(upload_url=session, video_size=len(file.data), completing=None)
        return session

    def send(self, steps: Steps, session: str, file: MediaFile, offset: int) -> dict[str, Any]:
        """Step 2: PUT the chunks from ``offset``; the video resource YouTube answers at the end."""
        size, chunk = len(file.data), self._chunk_bytes
        steps.sending()
        while True:
            last = min(offset + chunk, size) - 1
            if last == size - 1:
                # From here the video may exist: an answer we cannot get is Unknown, not Transient.
                steps.save(completing=True)
            headers = {
                "Content-Type": _video_type(file),
                "Content-Range": f"bytes {offset}-{last}/{size}",
            }
            try:
                response = self._api.request(
                    "PUT",
                    session,
                    creates=True,
                    ok=(308,),
                    headers=headers,
                    content=file.data[offset : last + 1],
                )
            except (Unknown, Transient) as lost:
                where = self.asked(steps, session, size)
                if isinstance(where, dict):
                    return where
                if where is None or where <= last:
                    have = 0 if where is None else where
                    raise Transient(
                        f"{lost.message}; YouTube has {have} of {size} bytes and the next "
                        "attempt carries on from what it has"
                    ) from None
                offset = where
                continue
            if response.status_code == 308:
                taken = _received(response)
                if taken <= offset or taken >= size:  # no progress, or all but no video
                    odd = Unknown if steps.get("completing") else Transient
                    raise odd(
                        f"YouTube answered a chunk with 308 and has {taken} of {size} bytes; the "
                        "next attempt asks the session where it stands"
                    )
                offset = taken
                continue
            return _resource_of(response)

    def where(self, session: str, size: int) -> int | dict[str, Any] | None:
        """Step 3: ask the session: the next byte it wants, the video it made, or ``None`` if
        the session is gone (expired). A read: an answer not given is ``Transient``."""
        self.url = session
        response = self._api.request(
            "PUT",
            session,
            creates=False,
            ok=(308, 404, 410),
            headers={"Content-Range": f"bytes */{size}"},
            content=b"",
        )
        if response.status_code in (404, 410):
            return None
        if response.status_code == 308:
            return _received(response)
        return _resource_of(response)

    def asked(self, steps: Steps, session: str, size: int) -> int | dict[str, Any] | None:
        """``where`` while publishing: once the last byte has left (``completing``) the video
        may exist, so no answer, or a session gone, is ``Unknown`` (looked up), never
        ``Transient`` (retried until it reads "failed")."""
        try:
            where = self.where(session, size)
        except Transient as exc:
            if steps.get("completing"):
                raise Unknown(
                    f"{exc.message}; every byte was sent and YouTube has not said whether the "
                    "video was made: Callsheet asks the upload session before sending again"
                ) from None
            raise
        if where is None and steps.get("completing"):
            raise Unknown(
                "the upload session is gone after every byte was sent; the video may exist"
            )
        return where


def _received(response: httpx.Response) -> int:
    """The next byte a session wants, from a 308's ``Range: bytes=0-N`` (none: from 0)."""
    sent = response.headers.get("range", "")
    _, _, last = sent.partition("-")
    return int(last) + 1 if last.isdigit() else 0


def _resource_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Unknown("YouTube finished the upload but its answer was unreadable")
    return body


def _video_type(file: MediaFile) -> str:
    return file.content_type if file.content_type.startswith("video/") else "video/mp4"
