"""Per-platform text rules: one rule, in one place, per platform.

Everything that decides whether a post's text can go out, and in what shape, lives here and is
used by the API at submit time, by previews, by the adapters at publish time and by
``callsheet lint``::

    from platforms.text import RULES, check, shape

    verdict = check(RULES["x"], text, media)     # TextCheck: length, limit, problems, parts...
    parts = shape(RULES["bluesky"], text)        # what to publish; CannotPublish if it cannot be

``check`` judges the post's media too (``TextRules.attachments``): kind, type, size, aspect
ratio, length and count per platform, reading local files and never fetching links. Those rules,
and the names to import for them (``MediaRules``, ``MediumFacts``, ``check_media``, ``probe``),
are in ``platforms.media``.

Modules: ``limits`` (every text number, with its source), ``unicode`` (units of counting),
``twitter`` (X's weighted length), ``measures`` (one measure per platform), ``entities`` (links,
mentions, hashtags with spans), ``facets`` (Bluesky facets), ``split`` (threads), ``rules``
(``TextRules``, one per platform in ``RULES``), ``assess`` (``check``, ``shape``, ``TextCheck``,
``CannotPublish``).
"""

from platforms.text.assess import CannotPublish, TextCheck, check, shape, split_title
from platforms.text.entities import (
    Entity,
    extract_entities,
    extract_hashtags,
    extract_mentions,
    extract_urls,
)
from platforms.text.facets import Facet, bluesky_facets, facet_records
from platforms.text.rules import RULES, TextRules, UnknownRules
from platforms.text.split import Unsplittable, split_thread
from platforms.text.twitter import weighted_length

__all__ = [
    "RULES",
    "CannotPublish",
    "Entity",
    "Facet",
    "TextCheck",
    "TextRules",
    "UnknownRules",
    "Unsplittable",
    "bluesky_facets",
    "check",
    "extract_entities",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "facet_records",
    "shape",
    "split_thread",
    "split_title",
    "weighted_length",
]
