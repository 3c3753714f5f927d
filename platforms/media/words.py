"""How the media verdict says things: type names, sizes, proportions, lengths, counts.

Each sentence ``platforms.media.check`` writes names files and numbers the way the platforms'
own pages and people do ("JPEG", "8 MB", "1.91:1", "2 min 20 s"), so a person can compare the
message with the platform's documentation. Apart from the checks so that the wording can change
without touching a rule, and the checks read as what they decide.
"""

from __future__ import annotations

from collections.abc import Sequence

from platforms.media import limits

_TYPE_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/ogg": "Ogg",
    "video/mp2t": "MPEG-TS",
}


def type_name(content_type: str) -> str:
    """A content type as platforms name it: "JPEG", "MOV"; an unknown one as it is."""
    return _TYPE_NAMES.get(content_type, content_type)


def types(content_types: Sequence[str]) -> str:
    """The types a platform takes: "JPEG only", "JPEG, PNG or GIF"."""
    names = [type_name(t) for t in content_types]
    if len(names) == 1:
        return f"{names[0]} only"
    return ", ".join(names[:-1]) + " or " + names[-1]


def article(word: str) -> str:
    """``"a"`` or ``"an"`` before ``word``."""
    return "an" if word[0] in "aeiou" else "a"


def count(number: int, noun: str) -> str:
    """How many: "one image", "4 images"."""
    if number == 1:
        return f"one {noun}"
    return f"{number} {noun}s"


def size(count: int) -> str:
    """Bytes as people read them: "412 KB", "8 MB", "16.8 MB" (decimal, as platforms write)."""
    if count < limits.MB:
        return f"{count / 1000:.0f} KB"
    if count < limits.GB:
        return f"{count / limits.MB:.1f}".removesuffix(".0") + " MB"
    return f"{count / limits.GB:.1f}".removesuffix(".0") + " GB"


def ratio(value: float) -> str:
    """An aspect ratio as platforms write it: "1.91:1" for wide, "4:5"-like "1:1.25" for tall."""
    if value >= 1:
        return f"{_number(value)}:1"
    return f"1:{_number(1 / value)}"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def duration(seconds: float) -> str:
    """A length as people say it: "0.5 s", "42 s", "2 min 20 s", "15 min"."""
    if seconds < 60:
        return f"{_number(seconds)} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def span(shortest: float, longest: float | None) -> str:
    """A range of lengths: "up to 2 min 20 s", "from 3 s to 15 min", "of at least 3 s"."""
    if longest is None:
        return f"of at least {duration(shortest)}"
    if shortest <= 0:
        return f"up to {duration(longest)}"
    return f"from {duration(shortest)} to {duration(longest)}"
