"""What video platforms (TikTok, YouTube) need to know about a post's video before sending it.

A video post carries exactly one video. Media made without a declared kind (a rendered post's
media list holds bare URLs) are recognised as video by their file name. The duration is read
from the MP4/MOV movie header, so a video longer than the creator may post is refused before
hundreds of megabytes are uploaded for the platform to refuse afterwards.
"""

from __future__ import annotations

import mimetypes
import struct
from collections.abc import Sequence
from urllib.parse import urlsplit

from workers.adapters.base import Media, Permanent


def is_video(media: Media) -> bool:
    """A video by its declared kind, or by its file name (media made without a kind)."""
    if media.kind == "video":
        return True
    guessed, _ = mimetypes.guess_type(urlsplit(media.url).path)
    return bool(guessed and guessed.startswith("video/"))


def the_video(media: Sequence[Media], *, platform: str) -> Media:
    """The one video a video post carries; ``Permanent`` for anything else."""
    videos = [m for m in media if is_video(m)]
    if len(videos) != 1 or len(media) != 1:
        others = len(media) - len(videos)
        raise Permanent(
            f"a {platform} post is exactly one video; this post has {len(videos)} video(s) "
            f"and {others} other attachment(s)"
        )
    return videos[0]


def mp4_duration(data: bytes) -> float | None:
    """Seconds, from the movie header (``moov``/``mvhd``) of an MP4 or MOV; ``None`` if absent.

    ISO/IEC 14496-12 §8.2.2: ``mvhd`` version 0 has 32-bit creation and modification times
    before ``timescale`` and ``duration``; version 1 has 64-bit ones and a 64-bit duration.
    """
    moov = _box(data, 0, len(data), b"moov")
    mvhd = _box(data, *moov, b"mvhd") if moov else None
    if mvhd is None:
        return None
    start = mvhd[0]
    try:
        if data[start] == 1:
            timescale, duration = struct.unpack_from(">IQ", data, start + 20)
        else:
            timescale, duration = struct.unpack_from(">II", data, start + 12)
    except (IndexError, struct.error):
        return None
    return float(duration) / timescale if timescale else None


def _box(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """The payload span of the first box ``kind`` directly inside ``data[start:end]``."""
    at = start
    while at + 8 <= end:
        size, name = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1 and at + 16 <= end:  # a 64-bit "largesize" follows the type
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:  # the box runs to the end of its container
            size = end - at
        if size < header:
            return None
        if name == kind:
            return at + header, min(at + size, end)
        at += size
    return None
