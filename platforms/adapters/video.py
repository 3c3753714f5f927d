"""What video platforms (TikTok, YouTube) need to know about a post's video before sending it.

A video post carries exactly one video. Media made without a declared kind (a rendered post's
media list holds bare URLs) are recognised as video by their file name. The duration is read
from the MP4/MOV movie header, so a video longer than the creator may post is refused before
hundreds of megabytes are uploaded for the platform to refuse afterwards. Reading the movie
header (``mp4_duration``) lives with the media rules in ``platforms.media.probe``, which the API
uses at submit time too; it is re-exported here for the adapters.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from urllib.parse import urlsplit

from platforms.adapters.base import Media, Permanent
from platforms.media.probe import mp4_duration

__all__ = ["is_video", "mp4_duration", "the_video"]


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
