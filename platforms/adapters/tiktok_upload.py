"""TikTok ``FILE_UPLOAD``: how a video is cut into chunks, and sending them to the upload URL.

The init (``tiktok``) declares the cut in ``source_info`` (``video_size``, ``chunk_size``,
``total_chunk_count``) and TikTok answers with an ``upload_url``; each chunk is then ``PUT``
there with ``Content-Range``. The cut and the URL are saved to progress, so a retry finishes an
interrupted upload from the byte TikTok reports (``uploaded_bytes``) instead of starting another.

Apart from ``tiktok`` because the Media Transfer Guide's arithmetic and the chunk-by-chunk
recovery are their own concern; ``PULL_FROM_URL`` publishes never come here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from platforms.adapters.base import Media, Transient, Unknown
from platforms.adapters.http import PlatformHTTP
from platforms.adapters.media import MediaFile
from platforms.adapters.steps import Steps
from platforms.adapters.tiktok_api import int_or_zero

#: Media Transfer Guide: a video under 5 MB goes whole; otherwise chunks of 5 to 64 MB, the last
#: one absorbing the remainder (up to 128 MB); 1 to 1,000 chunks.
MIN_CHUNK_BYTES = 5 * 1024 * 1024
MAX_CHUNK_BYTES = 64 * 1024 * 1024
#: Ours: 10 MB chunks, so a lost chunk costs little to send again.
DEFAULT_CHUNK_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """A ``FILE_UPLOAD`` session: where the chunks go and how the video was cut."""

    url: str
    video_size: int
    chunk_size: int
    chunk_count: int

    def chunk(self, index: int) -> tuple[int, int]:
        """The first and last byte of chunk ``index``; the last chunk takes the remainder."""
        first = index * self.chunk_size
        last_chunk = index == self.chunk_count - 1
        return first, self.video_size - 1 if last_chunk else first + self.chunk_size - 1


def source_info(video: Media, file: MediaFile | None, chunk: int) -> dict[str, Any]:
    """The init's ``source_info``: the URL TikTok pulls, or how ``file`` is cut into chunks."""
    if file is None:
        return {"source": "PULL_FROM_URL", "video_url": video.url}
    size = len(file.data)
    chunk_size = size if size < MIN_CHUNK_BYTES else min(chunk, size)
    return {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": chunk_size,
        "total_chunk_count": size // chunk_size,
    }


def upload_of(data: Mapping[str, Any], source_info: Mapping[str, Any]) -> Upload:
    """The upload session the init answered, cut as ``source_info`` declared."""
    url = data.get("upload_url")
    if not isinstance(url, str) or not url:
        raise Transient("TikTok started the upload but sent no upload_url; nothing was uploaded")
    return Upload(
        url=url,
        video_size=int(source_info["video_size"]),
        chunk_size=int(source_info["chunk_size"]),
        chunk_count=int(source_info["total_chunk_count"]),
    )


def saved_upload(steps: Steps) -> Upload | None:
    """The upload session saved to progress, if there is a whole one."""
    url = steps.get("upload_url")
    size, chunk, count = (
        int_or_zero(steps.get(k)) for k in ("video_size", "chunk_size", "chunk_count")
    )
    if not isinstance(url, str) or not (size and chunk and count):
        return None
    return Upload(url=url, video_size=size, chunk_size=chunk, chunk_count=count)


def send_chunks(
    http: PlatformHTTP,
    steps: Steps,
    upload: Upload,
    file: MediaFile,
    *,
    start: int,
    uploaded: Callable[[], int],
) -> None:
    """PUT the chunks from byte ``start`` on (a chunk boundary, as TikTok counts).

    ``completing`` is saved before the last chunk leaves: from then on the video may be
    published, so a status TikTok does not give is ``Unknown``, never ``Transient``. When a
    chunk's answer is lost, ``uploaded`` asks TikTok how many bytes it has.
    """
    kind = file.content_type if file.content_type.startswith("video/") else "video/mp4"
    for index in range(start // upload.chunk_size, upload.chunk_count):
        first, last = upload.chunk(index)
        headers = {
            "Content-Type": kind,
            "Content-Range": f"bytes {first}-{last}/{upload.video_size}",
        }
        chunk = file.data[first : last + 1]
        if index == upload.chunk_count - 1:
            steps.save(completing=True)
        try:
            http.request("PUT", upload.url, creates=True, headers=headers, content=chunk)
        except (Unknown, Transient) as lost:
            # Did the chunk arrive? TikTok's count of bytes says; a read cannot post twice.
            have = uploaded()
            if have <= last:
                raise Transient(
                    f"{lost.message}; TikTok has {have} of {upload.video_size} bytes and "
                    "the next attempt continues the upload from there"
                ) from None
