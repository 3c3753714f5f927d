"""A medium whose bytes Callsheet holds: one uploaded to its media store.

People upload images and videos to Callsheet (``POST /productions/{id}/media``); the store
keeps each file under its sha256, and a post names it by id. What was learnt when it was
uploaded (type from its bytes, size, pixels, length) travels with it, so the rules judge it
without reading it again, and an approval binds its digest.

``path`` is set only where the bytes are about to be sent (the worker), built from the
digest of the store's own record, never from anything a person typed; everywhere else it is
``None`` and nothing reads the file. ``read_held`` checks the bytes against the digest as it
reads, so a file changed in the store is refused instead of published.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from platforms.media.probe import Probe

#: A sha256 in hex, the only form a stored file's name takes.
DIGEST = re.compile(r"[0-9a-f]{64}")
#: How much of a held file is read at a time while it is hashed.
CHUNK = 1024 * 1024


class HeldFileChanged(Exception):
    """A held file's bytes are not the ones recorded (or it is gone): never send them."""


@dataclass(frozen=True, kw_only=True)
class HeldFile:
    """An uploaded medium: its id in Callsheet, its digest and what its bytes are."""

    media_id: int
    sha256: str
    content_type: str
    bytes: int
    name: str
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        if not DIGEST.fullmatch(self.sha256):
            raise ValueError("a held file is named by a sha256 in lower-case hex")

    def probe(self) -> Probe:
        """The facts the rules judge, as recorded at upload (the file is not read)."""
        return Probe(
            where="file",
            name=self.name,
            content_type=self.content_type,
            bytes=self.bytes,
            width=self.width,
            height=self.height,
            seconds=self.seconds,
        )


def read_held(held: HeldFile, *, limit: int) -> bytes:
    """The held file's bytes, checked against its digest; ``HeldFileChanged`` otherwise."""
    if held.path is None:
        raise HeldFileChanged(f"media {held.media_id} has no place in the media store")
    digest, chunks, total = hashlib.sha256(), [], 0
    try:
        with held.path.open("rb") as file:
            while chunk := file.read(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise HeldFileChanged(f"media {held.media_id} is larger than {limit} bytes")
                digest.update(chunk)
                chunks.append(chunk)
    except OSError:
        raise HeldFileChanged(f"media {held.media_id} is missing from the media store") from None
    if digest.hexdigest() != held.sha256:
        raise HeldFileChanged(f"media {held.media_id} changed in the media store since upload")
    return b"".join(chunks)


__all__ = ["DIGEST", "HeldFile", "HeldFileChanged", "read_held"]
