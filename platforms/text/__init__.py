"""Per-platform text rules: one rule, in one place, per platform.

Everything that decides whether a post's text can go out, and in what shape, lives here and is
used by the API at submit time, by previews, by the adapters at publish time and by
``callsheet lint``::

    from platforms.text import RULES, check, shape

    verdict = check(RULES["x"], text, media)     # TextCheck: length, limit, problems, parts...
    parts = shape(RULES["bluesky"], text)        # what to publish; CannotPublish if it cannot be

``check`` judges the post's media too (``TextRules.attachments``): kind, type, size, aspect
ratio, length and count per platform, reading local files and never fetching links.

Modules: ``limits`` (every platform number, with its source), ``unicode`` (units of counting),
``twitter`` (X's weighted length), ``measures`` (one measure per platform), ``entities`` (links,
mentions, hashtags with spans), ``facets`` (Bluesky facets), ``split`` (threads), ``probe``
(what a local image or video file is), ``media`` (``MediaRules`` per platform, ``check_media``),
``rules`` (``TextRules``, ``check``, ``shape``, ``RULES``).
"""

from platforms.text.entities import (
    Entity,
    extract_entities,
    extract_hashtags,
    extract_mentions,
    extract_urls,
)
from platforms.text.facets import Facet, bluesky_facets, facet_records
from platforms.text.media import KindRules, MediaLike, MediaRules, MediumFacts, check_media
from platforms.text.probe import Probe, mp4_duration, probe
from platforms.text.rules import (
    RULES,
    CannotPublish,
    TextCheck,
    TextRules,
    UnknownRules,
    check,
    shape,
    split_title,
)
from platforms.text.split import Unsplittable, split_thread
from platforms.text.twitter import weighted_length

__all__ = [
    "RULES",
    "CannotPublish",
    "Entity",
    "Facet",
    "KindRules",
    "MediaLike",
    "MediaRules",
    "MediumFacts",
    "Probe",
    "TextCheck",
    "TextRules",
    "UnknownRules",
    "Unsplittable",
    "bluesky_facets",
    "check",
    "check_media",
    "extract_entities",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "facet_records",
    "mp4_duration",
    "probe",
    "shape",
    "split_thread",
    "split_title",
    "weighted_length",
]
