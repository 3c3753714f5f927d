"""One ``TextRules`` per platform (``RULES``): how each platform measures and limits a post.

``TextRules`` says how one platform counts a post's length (its ``measure``, in its ``unit``),
where it stops (length, UTF-8 bytes, hashtags, mentions, alt text, a YouTube title), what it
refuses (some characters, an empty text), whether a text too long for one post becomes a thread,
and, as ``attachments``, which images and videos it takes (``platforms.media.rules``). ``RULES``
holds one per platform, built from the numbers in ``platforms.text.limits``; an account's own
rules (a Mastodon instance's limit, an account that must not thread) are made from them with
``with_limit`` and ``without_threads``.

Apart from the judging (``platforms.text.assess``: ``check`` and ``shape``): this module says what
each platform takes and changes when a platform does; the judging is one assessment for every
platform and changes when we decide something for all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from platforms.media import rules as media_rules
from platforms.media.rules import MediaRules
from platforms.text import limits
from platforms.text.measures import characters, graphemes, mastodon_length, weighted_length
from platforms.text.unicode import nfc, utf8_length

MediaNeed = Literal["optional", "required", "video"]


@dataclass(frozen=True)
class TextRules:
    """How one platform measures and limits a post.

    ``measure`` returns the length in ``unit`` of a text as written (it normalises itself).
    ``max_bytes`` is a second, UTF-8 limit some platforms add. ``title_limit`` is set for YouTube:
    the first line is a title with that limit, and ``limit`` applies to the rest. ``media`` says
    whether a post needs an image or a video; ``attachments`` which ones the platform takes
    (types, sizes, proportions, lengths, counts, alt text). ``alt_text`` is the older switch
    for "images carry alt text" (a plugin's rules may still set it); built-in platforms say it
    per kind in ``attachments``.
    """

    platform: str
    limit: int
    unit: str
    measure: Callable[[str], int]
    threadable: bool = False
    max_bytes: int | None = None
    max_hashtags: int | None = None
    media: MediaNeed = "optional"
    alt_text: bool = False
    display_name: str = ""
    max_mentions: int | None = None
    alt_limit: int | None = None
    forbidden: str = ""
    needs_text: bool = True
    body_name: str = "text"
    title_limit: int | None = None
    attachments: MediaRules = field(default_factory=MediaRules)

    @property
    def name(self) -> str:
        """The platform as people call it: ``X``, ``LinkedIn``."""
        return self.display_name or self.platform

    def with_limit(self, limit: int) -> TextRules:
        """The same rules with another length limit (a Mastodon instance's, X Premium's)."""
        if limit < 1:
            raise ValueError(f"a limit must be a positive number, not {limit}")
        return dataclasses.replace(self, limit=limit)

    def without_threads(self) -> TextRules:
        """The same rules, but a text that does not fit one post is refused, not threaded."""
        return dataclasses.replace(self, threadable=False)

    def fits(self, text: str) -> bool:
        """Whether ``text`` fits one post: the length limit and the byte limit, if any."""
        if self.measure(text) > self.limit:
            return False
        return self.max_bytes is None or utf8_length(nfc(text)) <= self.max_bytes


RULES: dict[str, TextRules] = {
    "x": TextRules(
        platform="x",
        display_name="X",
        limit=limits.X_MAX_WEIGHTED_LENGTH,
        unit="weighted characters",
        measure=weighted_length,
        threadable=True,
        alt_limit=limits.X_ALT_TEXT_LIMIT,
        forbidden=limits.X_INVALID_CHARACTERS,
        needs_text=False,
        attachments=media_rules.X_MEDIA,
    ),
    "bluesky": TextRules(
        platform="bluesky",
        display_name="Bluesky",
        limit=limits.BLUESKY_MAX_GRAPHEMES,
        unit="graphemes",
        measure=graphemes,
        threadable=True,
        max_bytes=limits.BLUESKY_MAX_BYTES,
        needs_text=False,
        attachments=media_rules.BLUESKY_MEDIA,
    ),
    "mastodon": TextRules(
        platform="mastodon",
        display_name="Mastodon",
        limit=limits.MASTODON_DEFAULT_MAX_CHARACTERS,
        unit="characters",
        measure=mastodon_length,
        threadable=True,
        alt_limit=limits.MASTODON_ALT_TEXT_LIMIT,
        needs_text=False,
        attachments=media_rules.MASTODON_MEDIA,
    ),
    "threads": TextRules(
        platform="threads",
        display_name="Threads",
        limit=limits.THREADS_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        threadable=True,
        needs_text=False,
        attachments=media_rules.THREADS_MEDIA,
    ),
    "instagram": TextRules(
        platform="instagram",
        display_name="Instagram",
        limit=limits.INSTAGRAM_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        max_hashtags=limits.INSTAGRAM_MAX_HASHTAGS,
        max_mentions=limits.INSTAGRAM_MAX_MENTIONS,
        media="required",
        needs_text=False,
        body_name="caption",
        attachments=media_rules.INSTAGRAM_MEDIA,
    ),
    "facebook": TextRules(
        platform="facebook",
        display_name="Facebook",
        limit=limits.FACEBOOK_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        needs_text=False,
        attachments=media_rules.FACEBOOK_MEDIA,
    ),
    "linkedin": TextRules(
        platform="linkedin",
        display_name="LinkedIn",
        limit=limits.LINKEDIN_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        needs_text=False,
        attachments=media_rules.LINKEDIN_MEDIA,
    ),
    "tiktok": TextRules(
        platform="tiktok",
        display_name="TikTok",
        limit=limits.TIKTOK_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        media="video",
        needs_text=False,
        body_name="caption",
        attachments=media_rules.TIKTOK_MEDIA,
    ),
    "youtube": TextRules(
        platform="youtube",
        display_name="YouTube",
        limit=limits.YOUTUBE_DESCRIPTION_MAX_BYTES,
        unit="characters",
        measure=characters,
        max_bytes=limits.YOUTUBE_DESCRIPTION_MAX_BYTES,
        media="video",
        forbidden=limits.YOUTUBE_FORBIDDEN_CHARACTERS,
        body_name="description",
        title_limit=limits.YOUTUBE_TITLE_MAX_CHARACTERS,
        attachments=media_rules.YOUTUBE_MEDIA,
    ),
    "slack": TextRules(
        platform="slack",
        display_name="Slack",
        limit=limits.SLACK_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        attachments=media_rules.SLACK_MEDIA,
    ),
    "discord": TextRules(
        platform="discord",
        display_name="Discord",
        limit=limits.DISCORD_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        attachments=media_rules.DISCORD_MEDIA,
    ),
    "webhook": TextRules(
        platform="webhook",
        display_name="the webhook",
        limit=limits.HOUSE_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        needs_text=False,
    ),
    "outbox": TextRules(
        platform="outbox",
        display_name="the outbox",
        limit=limits.HOUSE_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        needs_text=False,
    ),
}


class UnknownRules(LookupError):
    """No text rules for this platform name; ``known`` lists the names that have some."""

    def __init__(self, platform: str, known: list[str]) -> None:
        super().__init__(f"no text rules for platform {platform!r}; known: {', '.join(known)}")
        self.platform = platform
        self.known = known
