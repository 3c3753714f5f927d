"""Fetching a post's image or video for platforms that want the bytes, not a link.

X, Mastodon, Bluesky, LinkedIn, TikTok and YouTube upload media before the post refers to it;
Instagram and Threads fetch it themselves from a public URL. A ``Media.url`` is either an
http(s) URL or a local path (``file://`` or plain): a rehearsal or a small team may keep
stills on disk. Reads are capped so a wrong link to a huge file cannot exhaust a worker.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from platforms.adapters.base import Media, Permanent, Transient

#: Larger than any platform accepts for one post (YouTube aside, which streams).
MAX_MEDIA_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class MediaFile:
    """A medium's bytes and what they are."""

    data: bytes
    content_type: str
    filename: str


def load_media(
    media: Media, *, client: httpx.Client | None = None, timeout: float = 30
) -> MediaFile:
    """The bytes of ``media``: ``Permanent`` if missing or too big, ``Transient`` if unreachable."""
    parts = urlsplit(media.url)
    if parts.scheme in ("http", "https"):
        return _download(media.url, client=client, timeout=timeout)
    path = Path(unquote(parts.path) if parts.scheme == "file" else media.url)
    try:
        size = path.stat().st_size
        if size > MAX_MEDIA_BYTES:
            raise Permanent(f"{path.name} is {size} bytes; the limit is {MAX_MEDIA_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise Permanent(f"cannot read media {path.name}: {exc.strerror}") from None
    return MediaFile(data, _guess(path.name, media.kind), path.name)


def _download(url: str, *, client: httpx.Client | None, timeout: float) -> MediaFile:
    name = Path(urlsplit(url).path).name or "media"
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        with http.stream("GET", url, timeout=timeout) as response:
            if response.status_code >= 400:
                kind = Transient if response.status_code >= 500 else Permanent
                raise kind(f"fetching media {name} answered HTTP {response.status_code}")
            chunks, total = [], 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > MAX_MEDIA_BYTES:
                    raise Permanent(f"media {name} is larger than {MAX_MEDIA_BYTES} bytes")
                chunks.append(chunk)
            declared = response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.TransportError as exc:
        raise Transient(f"could not fetch media {name} ({type(exc).__name__})") from None
    finally:
        if client is None:
            http.close()
    return MediaFile(b"".join(chunks), declared or _guess(name, "image"), name)


def _guess(name: str, kind: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or ("video/mp4" if kind == "video" else "image/jpeg")
