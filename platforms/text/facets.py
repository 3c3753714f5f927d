"""Bluesky rich-text facets: how a Bluesky post says "this span is a link, a tag, a mention".

Bluesky does not parse post text. Without a facet a URL is plain, unclickable text, so the
adapter sends ``facets`` with the record (lexicon ``app.bsky.richtext.facet``). Each facet marks
a span by **UTF-8 byte** offsets into the exact text sent (``byteStart`` inclusive, ``byteEnd``
exclusive), not by character: an emoji before a link moves the link by 4 bytes, not 1.

What is detected, with the same rules as everywhere else in ``platforms.text``:

- ``link``: every link ``entities.extract_urls`` finds; ``uri`` is the link with ``https://``
  added when written without a scheme;
- ``tag``: every hashtag, ``tag`` without the ``#``; a tag over 64 graphemes gets no facet (the
  lexicon's limit) and stays plain text;
- ``mention``: ``@handle`` where the handle is a domain (``@alice.bsky.social``, ``@example.com``).
  A mention facet must name a DID, which only the network can tell, so ``Facet.value`` is the
  handle and the adapter resolves it (``com.atproto.identity.resolveHandle``) and calls
  ``facet_records`` with that lookup. A handle that does not resolve gets no facet: the text still
  reads ``@alice.bsky.social``, it just is not linked, which is what Bluesky's own app does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import regex

from platforms.text.entities import Entity, extract_entities
from platforms.text.limits import BLUESKY_TAG_MAX_GRAPHEMES
from platforms.text.tlds import is_tld
from platforms.text.unicode import grapheme_count, utf8_length

FacetKind = Literal["link", "tag", "mention"]

_FEATURE_TYPE = {
    "link": "app.bsky.richtext.facet#link",
    "tag": "app.bsky.richtext.facet#tag",
    "mention": "app.bsky.richtext.facet#mention",
}
# atproto handle syntax: DNS labels, the last one not starting with a digit.
_HANDLE = regex.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?", regex.I
)


@dataclass(frozen=True, slots=True)
class Facet:
    """One facet before DID resolution: a byte span of the post and what it is.

    ``value`` is the ``uri`` of a link, the ``tag`` (no ``#``) of a tag, the lower-case handle
    (no ``@``) of a mention.
    """

    byte_start: int
    byte_end: int
    kind: FacetKind
    value: str

    def as_record(self, did: str | None = None) -> dict[str, Any]:
        """The ``app.bsky.richtext.facet`` object; a mention needs its handle's ``did``."""
        if self.kind == "mention":
            if did is None:
                raise ValueError(f"the mention of @{self.value} needs a DID")
            feature: dict[str, Any] = {"$type": _FEATURE_TYPE["mention"], "did": did}
        elif self.kind == "link":
            feature = {"$type": _FEATURE_TYPE["link"], "uri": self.value}
        else:
            feature = {"$type": _FEATURE_TYPE["tag"], "tag": self.value}
        return {
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [feature],
        }


def bluesky_facets(text: str) -> list[Facet]:
    """The facets of ``text``, in order; pass exactly the text posted (a part from ``shape``)."""
    facets = []
    for entity in extract_entities(text):
        facet = _facet(text, entity)
        if facet is not None:
            facets.append(facet)
    return facets


def _facet(text: str, entity: Entity) -> Facet | None:
    kind: FacetKind
    if entity.kind == "url":
        kind, value = "link", entity.value
    elif entity.kind == "hashtag":
        if grapheme_count(entity.value) > BLUESKY_TAG_MAX_GRAPHEMES:
            return None
        kind, value = "tag", entity.value
    else:
        handle = entity.value.lower()
        if not (_HANDLE.fullmatch(handle) and is_tld(handle.rsplit(".", 1)[-1])):
            return None  # "@user" or "@user@instance": not a Bluesky handle
        kind, value = "mention", handle
    start = utf8_length(text[: entity.start])
    return Facet(start, start + utf8_length(entity.text), kind, value)


def facet_records(
    facets: Sequence[Facet], resolve: Callable[[str], str | None]
) -> list[dict[str, Any]]:
    """The ``facets`` array of a post record; ``resolve`` maps a handle to its DID, or ``None``.

    Mentions whose handle does not resolve are left out (the text stays as written).
    """
    records = []
    for facet in facets:
        if facet.kind == "mention":
            did = resolve(facet.value)
            if did is None:
                continue
            records.append(facet.as_record(did))
        else:
            records.append(facet.as_record())
    return records
