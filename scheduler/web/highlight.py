"""A post's text in pieces, its links, mentions and hashtags marked, for the preview to show
each as a span of escaped text: the pieces are the platforms' own reading of the text
(``platforms.text.extract_entities``, the spans X counts and Bluesky links), never HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from platforms.text import extract_entities


@dataclass(frozen=True)
class Piece:
    """A run of a post's text; ``kind`` is ``url``, ``mention``, ``hashtag`` or ``""`` (plain)."""

    text: str
    kind: str = ""


def pieces(text: str) -> list[Piece]:
    """``text`` cut at its entities, in order; joined, the pieces are ``text`` again."""
    cut: list[Piece] = []
    at = 0
    for entity in sorted(extract_entities(text), key=lambda e: e.start):
        if entity.start < at:
            continue  # inside the one before (extraction never overlaps; kept safe anyway)
        if entity.start > at:
            cut.append(Piece(text[at : entity.start]))
        cut.append(Piece(text[entity.start : entity.end], entity.kind))
        at = entity.end
    if at < len(text):
        cut.append(Piece(text[at:]))
    return cut
