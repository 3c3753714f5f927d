"""The units platforms count text in: code units, code points, graphemes, bytes.

A "character" means different things to different platforms, and the differences are exactly
where a post gets refused: a family emoji is 1 grapheme, 7 code points, 11 UTF-16 code units and
25 UTF-8 bytes. Every count here is taken on the NFC form, because that is what we publish (see
``nfc``).

Grapheme clusters come from the ``regex`` package's ``\\X`` (extended grapheme clusters per UAX
#29), which follows new Unicode versions quickly; the standard library has no segmentation.
"""

from __future__ import annotations

import unicodedata

import regex

_GRAPHEME = regex.compile(r"\X")


def nfc(text: str) -> str:
    """``text`` in Normalization Form C: the form we count and publish.

    NFC is canonically equivalent to the input (it renders the same), it is what X counts, and it
    makes ``e`` + combining acute one character, as a reader sees it.
    """
    return unicodedata.normalize("NFC", text)


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text``: what a reader sees as characters."""
    return _GRAPHEME.findall(text)


def grapheme_count(text: str) -> int:
    """How many extended grapheme clusters ``text`` has."""
    if text.isascii():  # the common case, and cheap: only CR LF joins two ASCII characters
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def utf8_length(text: str) -> int:
    """Bytes in UTF-8: Bluesky's and YouTube's byte limits, and Bluesky's facet offsets."""
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_length(text: str) -> int:
    """UTF-16 code units: what JavaScript's and Java's ``length`` return.

    Each code point above U+FFFF (most emoji) takes two.
    """
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
