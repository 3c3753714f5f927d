"""What a post's image or video is, read from the file itself, without sending it anywhere.

The media rules (``platforms.media.check``) judge what this module finds. A post's medium is
either a *link* (http or https), which is never fetched at submit time (a person waiting on a
form should not wait on someone else's server, and the platform fetches it anyway), or a file
Callsheet holds (``platforms.media.held``), judged on what was read when it was uploaded.
Anything else a post names (a path, ``file://``) is "missing" without being looked at, so no
answer ever tells whether a server file exists.

``probe_file`` reads a file it is handed explicitly (an upload as it is stored, a file the
operator names to ``callsheet lint``): its size, its type from its first bytes (a PNG renamed
``.jpg`` is still a PNG to Instagram), an image's pixel size with Pillow (header only), and a
MOV/MP4's length and picture size from its movie header (``moov``), read by seeking, so a
two-gigabyte video costs a few kilobytes of reading.

What the file says wins over its name; the name is the fallback when the bytes are not a
format this module knows (HEIC without a Pillow plugin, say).
"""

from __future__ import annotations

import mimetypes
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from platforms.media.limits import MOVIE_HEADER_MAX_BYTES, MOVIE_MAX_TOP_LEVEL_BOXES

Where = Literal["link", "file", "missing"]

#: Content types by file name, for links and for files whose bytes say nothing we know. Kept here
#: rather than read from the system's ``mime.types`` so a verdict is the same on every machine.
_BY_EXTENSION = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".jfif": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".qt": "video/quicktime",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".ts": "video/mp2t",
}
#: ISO base media ``ftyp`` major brands that are not plain MP4 video.
_FTYP_BRANDS = {
    b"qt  ": "video/quicktime",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"avif": "image/avif",
    b"avis": "image/avif",
}
#: EXIF orientations that turn the picture a quarter turn (width and height swap on screen).
_QUARTER_TURNS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Probe:
    """What could be learnt about one medium. ``None`` is "not known", never "zero".

    ``where`` is ``"link"`` (http/https: only ``content_type`` is known, from the name),
    ``"file"`` (read), or ``"missing"`` (a local path with nothing readable there; ``error``
    says why). ``width``/``height`` are as shown (an EXIF or track rotation applied).
    """

    where: Where
    name: str
    content_type: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        """Width over height, when both are known."""
        if self.width and self.height:
            return self.width / self.height
        return None


#: Why a medium that is not a link is not looked at.
NOT_A_LINK = "it is not an http(s) link, and files on the server are never read"


def is_link(url: str) -> bool:
    """Whether a medium names a link (http or https), not a file."""
    return urlsplit(url).scheme.lower() in ("http", "https")


def type_by_name(name: str) -> str | None:
    """A content type from a file name or URL path alone."""
    suffix = Path(urlsplit(name).path).suffix.lower()
    return _BY_EXTENSION.get(suffix) or mimetypes.MimeTypes().guess_type("x" + suffix)[0]


def probe(url: str) -> Probe:
    """Look at the medium ``url`` names: a link by its name; anything else is not looked at."""
    if not is_link(url):
        return Probe(where="missing", name="not a link", error=NOT_A_LINK)
    name = Path(urlsplit(url).path).name or url
    return Probe(where="link", name=name, content_type=type_by_name(url))


def probe_file(path: Path) -> Probe:
    """Read the file at ``path`` (one handed over on purpose, never a post's words)."""
    try:
        stat = path.stat()
    except OSError as exc:
        return Probe(where="missing", name=path.name, error=_reason(exc))
    if not path.is_file():
        return Probe(where="missing", name=path.name, error="it is not a file")
    return _probe_file(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _probe_file(path: str, mtime_ns: int, size: int) -> Probe:
    """A local file's facts; cached by path, time and size, so a post previewed for ten
    accounts reads each file once, and a file changed on disk is read again."""
    del mtime_ns  # part of the cache key only
    name = Path(path).name
    try:
        with open(path, "rb") as file:
            head = file.read(64)
            sniffed = sniff(head)
            content_type = sniffed or type_by_name(name)
            if content_type is not None and content_type.startswith("video/"):
                seconds, width, height = _movie_facts(file, size)
                return Probe(
                    where="file",
                    name=name,
                    content_type=content_type,
                    bytes=size,
                    width=width,
                    height=height,
                    seconds=seconds,
                )
    except OSError as exc:
        return Probe(where="missing", name=name, error=_reason(exc))
    width, height = _image_size(path)
    return Probe(
        where="file", name=name, content_type=content_type, bytes=size, width=width, height=height
    )


def sniff(head: bytes) -> str | None:
    """A content type from a file's first bytes (magic numbers), or ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM":
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "video/webm"
    if head[:4] == b"OggS":
        return "video/ogg"
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video/quicktime"  # an old QuickTime file, without ``ftyp``
    return None


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "there is no such file"
    if isinstance(exc, PermissionError):
        return "it cannot be read (permission denied)"
    return f"it cannot be read ({exc.strerror or type(exc).__name__})"


def _image_size(path: str) -> tuple[int | None, int | None]:
    """Pixel size as shown, from the image header (Pillow decodes no pixels for this)."""
    try:
        with warnings.catch_warnings():
            # A huge picture is a fact to report, not an attack on us: nothing is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                orientation = image.getexif().get(_EXIF_ORIENTATION)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return None, None
    if orientation in _QUARTER_TURNS:
        width, height = height, width
    return width, height


# --- MOV / MP4 (ISO/IEC 14496-12) ---------------------------------------------------------------


def _movie_facts(file: BinaryIO, size: int) -> tuple[float | None, int | None, int | None]:
    """Length and picture size of a MOV/MP4 from its ``moov`` box, found by seeking."""
    moov = _top_level_box(file, size, b"moov")
    if moov is None:
        return None, None, None
    dimensions = mp4_dimensions(moov)
    width, height = dimensions if dimensions else (None, None)
    return mp4_duration(moov), width, height


def _top_level_box(file: BinaryIO, size: int, kind: bytes) -> bytes | None:
    """The whole top-level box ``kind`` (header included), or ``None`` if absent or too big."""
    at = 0
    for _ in range(MOVIE_MAX_TOP_LEVEL_BOXES):
        if at + 8 > size:
            return None
        file.seek(at)
        header = file.read(16)
        if len(header) < 8:
            return None
        length, name = struct.unpack_from(">I4s", header)
        head = 8
        if length == 1 and len(header) == 16:
            (length,) = struct.unpack_from(">Q", header, 8)
            head = 16
        elif length == 0:
            length = size - at
        if length < head:
            return None
        if name == kind:
            if length > MOVIE_HEADER_MAX_BYTES:
                return None
            file.seek(at)
            return file.read(length)
        at += length
    return None


def mp4_duration(data: bytes) -> float | None:
    """Seconds, from the movie header (``moov``/``mvhd``) of an MP4 or MOV; ``None`` if absent.

    ``data`` is the file, or any prefix of it that holds the whole ``moov`` box. ISO/IEC
    14496-12 §8.2.2: ``mvhd`` version 0 has 32-bit creation and modification times before
    ``timescale`` and ``duration``; version 1 has 64-bit ones and a 64-bit duration.
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


def mp4_dimensions(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` as shown, of the first track with a picture; ``None`` if none.

    ISO/IEC 14496-12 §8.3.2: a track header (``moov``/``trak``/``tkhd``) ends with a 3x3
    transformation matrix and the width and height as 16.16 fixed point. Audio tracks have
    zero for both. A matrix that turns the picture a quarter turn (``a`` and ``d`` zero, as a
    phone filming upright writes) swaps width and height on screen.
    """
    moov = _box(data, 0, len(data), b"moov")
    if moov is None:
        return None
    for trak in _boxes(data, *moov, b"trak"):
        tkhd = _box(data, *trak, b"tkhd")
        if tkhd is None:
            continue
        start = tkhd[0]
        try:
            # version 1: 64-bit creation, modification and duration fields (12 more bytes).
            matrix = start + (52 if data[start] == 1 else 40)
            a, _b, _u, _c, d = struct.unpack_from(">iiiii", data, matrix)
            width, height = struct.unpack_from(">II", data, matrix + 36)
        except (IndexError, struct.error):
            continue
        width, height = width >> 16, height >> 16
        if width and height:
            return (height, width) if a == 0 and d == 0 else (width, height)
    return None


def _box(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """The payload span of the first box ``kind`` directly inside ``data[start:end]``."""
    return next(_boxes(data, start, end, kind), None)


def _boxes(data: bytes, start: int, end: int, kind: bytes) -> Iterator[tuple[int, int]]:
    """The payload spans of every box ``kind`` directly inside ``data[start:end]``, in order."""
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
            return
        if name == kind:
            yield at + header, min(at + size, end)
        at += size


__all__ = [
    "NOT_A_LINK",
    "Probe",
    "Where",
    "is_link",
    "mp4_dimensions",
    "mp4_duration",
    "probe",
    "probe_file",
    "sniff",
    "type_by_name",
]
