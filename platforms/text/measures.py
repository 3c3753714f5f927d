"""How each platform measures a post, as plain ``str -> int`` functions.

Each takes the text as written and measures its NFC form (what we publish). Where a platform
documents its counting, we follow it:

- X: weighted characters, ``twitter.weighted_length``;
- Bluesky: grapheme clusters (and UTF-8 bytes, checked separately);
- Mastodon: grapheme clusters after its rewrites, ``mastodon_length``;
- TikTok: UTF-16 code units, as its API documents.

Where a platform says only "characters" (Threads, Instagram, Facebook, LinkedIn, YouTube, Slack,
Discord) we count UTF-16 code units, ``characters``: what JavaScript's and Java's ``length``
return, which their composers and most backends use. It is never less than the count of code
points or of graphemes, so a text we pass is not refused for length by a platform that counts
either of those instead; the price is that an emoji may use two of the allowance.
"""

from __future__ import annotations

from platforms.text.entities import extract_mentions, extract_urls
from platforms.text.limits import MASTODON_URL_LENGTH
from platforms.text.twitter import weighted_length
from platforms.text.unicode import grapheme_count, nfc, utf16_length

__all__ = ["characters", "graphemes", "mastodon_length", "weighted_length"]


def characters(text: str) -> int:
    """UTF-16 code units of the NFC text: "characters" where a platform says no more."""
    return utf16_length(nfc(text))


def graphemes(text: str) -> int:
    """Grapheme clusters of the NFC text: Bluesky's count, and what a reader sees."""
    return grapheme_count(nfc(text))


def mastodon_length(text: str) -> int:
    """Mastodon's ``StatusLengthValidator`` count for a post without a content warning.

    Each ``http(s)://`` link counts ``MASTODON_URL_LENGTH`` (links without a scheme count as
    written: Mastodon does not link them), each mention ``@user@domain`` counts as ``@user``, and
    the result is counted in grapheme clusters.
    """
    normalized = nfc(text)
    replacements: list[tuple[int, int, str]] = []
    taken_until = -1
    entities = sorted(
        (*extract_urls(normalized, without_scheme=False), *extract_mentions(normalized)),
        key=lambda entity: entity.start,
    )
    for entity in entities:
        if entity.start < taken_until:
            continue  # overlaps an earlier entity: the earlier one wins, as in Mastodon
        taken_until = entity.end
        if entity.kind == "url":
            replacements.append((entity.start, entity.end, "x" * MASTODON_URL_LENGTH))
        else:
            replacements.append((entity.start, entity.end, "@" + entity.value.split("@")[0]))
    pieces: list[str] = []
    position = 0
    for start, end, replacement in replacements:
        pieces.extend((normalized[position:start], replacement))
        position = end
    pieces.append(normalized[position:])
    return grapheme_count("".join(pieces))
