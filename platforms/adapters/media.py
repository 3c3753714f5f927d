"""Fetching a post's image or video for platforms that want the bytes, not a link.

X, Mastodon, Bluesky, LinkedIn, TikTok and YouTube upload media before the post refers to it;
Instagram and Threads fetch it themselves from a public URL. A medium is a file Callsheet holds
(an upload: ``Media.held``, read from the media store where the worker placed it, and checked
against its digest as it is read) or an http(s) link, never a file on the server a post names:
a path or a ``file://`` URL is refused without being looked at, so no answer ever tells whether
a server file exists. Redirects are followed, each hop
through the given client, so under the egress policy (``platforms.adapters.egress``) every
hop's address is checked where it connects. Reads are capped so a wrong link to a huge file
cannot exhaust a worker.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx

from platforms.adapters.base import Media, Permanent, Transient
from platforms.media.held import HeldFileChanged, read_held
from platforms.media.probe import is_link

#: Larger than any platform accepts for one post (YouTube aside, which streams).
MAX_MEDIA_BYTES = 512 * 1024 * 1024
#: Hops a media link may take before it is given up on.
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class MediaFile:
    """A medium's bytes and what they are."""

    data: bytes
    content_type: str
    filename: str


def load_media(
    media: Media, *, client: httpx.Client | None = None, timeout: float = 30
) -> MediaFile:
    """The bytes of ``media``: ``Permanent`` if not held nor a link, missing, changed or too
    big, ``Transient`` if unreachable. ``client`` is the adapter's (the worker's, under the
    egress policy)."""
    held = media.held
    if held is not None:
        try:
            data = read_held(held, limit=MAX_MEDIA_BYTES)
        except HeldFileChanged as exc:
            raise Permanent(str(exc)) from None
        return MediaFile(data, held.content_type, held.name)
    if not is_link(media.url):
        raise Permanent("media must be an http(s) link; files on the server are never read")
    return _download(media.url, client=client, timeout=timeout)


def _download(url: str, *, client: httpx.Client | None, timeout: float) -> MediaFile:
    name = PurePosixPath(urlsplit(url).path).name or "media"
    http = client or httpx.Client(timeout=timeout, max_redirects=MAX_REDIRECTS)
    try:
        with http.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
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
    except httpx.TooManyRedirects:
        raise Permanent(f"media {name} redirects too many times") from None
    except httpx.UnsupportedProtocol:
        raise Permanent(
            f"media {name} redirects to something that is not an http(s) link"
        ) from None
    except httpx.TransportError as exc:
        raise Transient(f"could not fetch media {name} ({type(exc).__name__})") from None
    finally:
        if client is None:
            http.close()
    return MediaFile(b"".join(chunks), declared or _guess(name, "image"), name)


def _guess(name: str, kind: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or ("video/mp4" if kind == "video" else "image/jpeg")
