"""The media store: uploaded files on disk, each named by its sha256, never by a client.

An upload is written to a temporary file inside the store's folder while it is counted and
hashed (``Intake``); past the size limit it stops at once and the temporary file is removed,
so nothing half-written is ever left. What the file is comes from its first bytes
(``platforms.media.probe.sniff``), never from the client's file name or Content-Type: only
JPEG, PNG, GIF, WebP, MP4 and MOV are taken, and an image must open as one (Pillow reads its
header). Then it is renamed to ``<root>/<aa>/<sha256>``: content-addressed, so two uploads of
the same bytes are one file, and a stored file never changes under its name.

``path_of`` is the one way to a stored file, and it takes a digest only: a path can never be
made from words a person typed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from platforms.media.held import DIGEST
from platforms.media.probe import probe_file, sniff

#: What the store takes, by the type the bytes say they are.
ACCEPTED = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/gif": "image",
    "image/webp": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
}
#: File name endings for served files (``Content-Disposition``), by type.
ENDINGS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
}
#: Bytes read to tell the type.
HEAD_BYTES = 64


class TooLarge(Exception):
    """The upload passed the size limit (HTTP 413); nothing of it is kept."""


class NotMedia(Exception):
    """The bytes are not an image or video the store takes (HTTP 415)."""


@dataclass(frozen=True)
class StoredFile:
    """A file now in the store, and what its bytes were found to be."""

    sha256: str
    content_type: str
    kind: str
    bytes: int
    width: int | None
    height: int | None
    seconds: float | None


def path_of(root: Path, sha256: str) -> Path:
    """Where the file with digest ``sha256`` is kept; ``ValueError`` for anything but one."""
    if not DIGEST.fullmatch(sha256):
        raise ValueError("a stored file is found by its sha256 only")
    return root / sha256[:2] / sha256


class Intake:
    """One upload on its way into the store: ``write`` each chunk, then ``keep`` or ``discard``.

    ``limit`` is the most any upload may be; ``image_limit`` the most an image may be, known
    once its first bytes say it is one.
    """

    def __init__(self, root: Path, *, limit: int, image_limit: int) -> None:
        self.root = root
        self.limit = limit
        self.image_limit = image_limit
        (root / "incoming").mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=root / "incoming", prefix="upload-")
        self._file = os.fdopen(handle, "wb")
        self._path = Path(name)
        self._digest = hashlib.sha256()
        self._head = b""
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Count, hash and write ``chunk``; ``TooLarge`` (the file removed) past a limit."""
        self.size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self.size > self._limit_now():
            self.discard()
            raise TooLarge(self._too_large())
        self._digest.update(chunk)
        self._file.write(chunk)

    def keep(self) -> StoredFile:
        """Check what the bytes are and put the file in its place; ``NotMedia`` otherwise."""
        self._file.close()
        try:
            content_type = sniff(self._head)
            kind = ACCEPTED.get(content_type or "")
            if content_type is None or kind is None:
                raise NotMedia(
                    "the file is not a JPEG, PNG, GIF, WebP, MP4 or MOV (judged by its "
                    "contents, not its name)"
                )
            if self.size == 0:
                raise NotMedia("the file is empty")
            found = probe_file(self._path)
            if kind == "image" and found.width is None:
                raise NotMedia(f"the file starts like a {content_type} but is not a readable image")
            sha256 = self._digest.hexdigest()
            place = path_of(self.root, sha256)
            place.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._path, place)  # same bytes, same name: replacing changes nothing
        except BaseException:
            self.discard()
            raise
        return StoredFile(
            sha256=sha256,
            content_type=content_type,
            kind=kind,
            bytes=self.size,
            width=found.width,
            height=found.height,
            seconds=found.seconds,
        )

    def discard(self) -> None:
        """Remove what was written (safe to call more than once)."""
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)

    def _limit_now(self) -> int:
        is_image = ACCEPTED.get(sniff(self._head) or "") == "image"
        return min(self.limit, self.image_limit) if is_image else self.limit

    def _too_large(self) -> str:
        limit = self._limit_now()
        what = "an image" if limit < self.limit else "an upload"
        return f"the file is larger than {_mib(limit)}, the most {what} may be"


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


__all__ = ["ACCEPTED", "ENDINGS", "Intake", "NotMedia", "StoredFile", "TooLarge", "path_of"]
