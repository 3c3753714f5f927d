"""The two questions asked of a platform's ``TextRules``: ``check`` and ``shape``.

``check`` answers "can this go out, and what should a person fix?" for the API at submit time,
previews and ``callsheet lint``: every problem at once, in sentences a marketer can act on.
``shape`` answers "what exactly do we send?" for the adapters at publish time: the text as one
part, or as a numbered thread, or a ``CannotPublish`` error. Both run the same assessment, so what
passed at submit time is what is published.

Decisions made here, once, for every caller:

- Text is published in NFC (see ``unicode.nfc``); ``shape`` returns NFC parts.
- A text too long for one post on a threadable platform (X, Bluesky, Mastodon, Threads) is valid
  and goes out as a thread, with a warning saying so; ``TextRules.without_threads()`` turns that
  off for an account that must not thread.
- YouTube: the first line of the text is the video's title, the rest its description (a text of
  one line is a title with an empty description). A title is what a viewer reads first and the
  description what they expand, so the post's opening line is the natural title.
- Media are part of the verdict: ``TextRules.attachments`` (``platforms.media``) says which
  images and videos a platform takes, and ``check`` reports their problems in
  ``media_problems`` too, so the API can name the field a person must change.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from platforms.media import MediaLike, MediumFacts, check_media
from platforms.text.entities import extract_hashtags, extract_mentions
from platforms.text.measures import characters
from platforms.text.rules import TextRules
from platforms.text.split import Unsplittable, split_thread
from platforms.text.unicode import nfc, utf8_length


@dataclass(frozen=True)
class TextCheck:
    """The verdict on one text for one platform, ready for an API answer or a terminal.

    ``length``/``limit``/``unit`` describe the whole text (for YouTube: the description);
    ``valid`` means it can be published as it is, threaded if ``parts`` has more than one part.
    ``parts`` is the thread for threadable platforms (``None`` elsewhere, or when invalid).
    ``problems`` holds every problem, the text's first; ``media_problems`` repeats those about
    the media, so a caller can tell a person which field to change. ``media`` is what was found
    out about each medium (its file's type, size, pixel size, length).
    """

    platform: str
    length: int
    limit: int
    unit: str
    valid: bool
    problems: list[str]
    warnings: list[str]
    parts: list[str] | None
    bytes: int
    max_bytes: int | None = None
    hashtags: int = 0
    title: str | None = None
    title_length: int | None = None
    title_limit: int | None = None
    media_problems: list[str] = field(default_factory=list)
    media: list[MediumFacts] = field(default_factory=list)

    @property
    def text_problems(self) -> list[str]:
        """The problems with the text itself (``problems`` less ``media_problems``)."""
        return self.problems[: len(self.problems) - len(self.media_problems)]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready ``dict``; the YouTube title fields only where there is a title."""
        data = dataclasses.asdict(self)
        if self.title_limit is None:
            for key in ("title", "title_length", "title_limit"):
                data.pop(key)
        return data


class CannotPublish(ValueError):
    """``shape`` refused the text: the message names the platform, the length and the limit."""

    def __init__(self, rules: TextRules, length: int, problems: Sequence[str]) -> None:
        self.platform = rules.platform
        self.length = length
        self.limit = rules.limit
        self.unit = rules.unit
        self.problems = list(problems)
        super().__init__(
            f"cannot publish to {rules.name} ({length:,} of {rules.limit:,} {rules.unit}): "
            + " ".join(self.problems)
        )


@dataclass
class _Assessment:
    """What ``check`` and ``shape`` share: the text's length, problems, warnings and parts."""

    text: str
    body: str
    length: int
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: list[str] | None = None
    title: str | None = None


def split_title(text: str) -> tuple[str, str]:
    """YouTube's ``(title, description)`` from a post: the first line, then the rest."""
    stripped = nfc(text).strip()
    title, _, description = stripped.partition("\n")
    return title.strip(), description.strip()


def check(rules: TextRules, text: str, media: Sequence[MediaLike] = ()) -> TextCheck:
    """Everything wrong (``problems``) or worth knowing (``warnings``) about posting ``text``
    with ``media``: the text's length and contents, and each medium's kind, file and count.

    Local media files are read (not links): see ``platforms.media.check``.
    """
    found = _assess(rules, text)
    attached = check_media(rules.name, rules.attachments, media, image_alt_text=rules.alt_text)
    media_problems = _media_problems(rules, media) + attached.problems
    problems = found.problems + _empty_problems(rules, found.body, media) + media_problems
    warnings = found.warnings + attached.warnings
    valid = not problems
    return TextCheck(
        platform=rules.platform,
        length=found.length,
        limit=rules.limit,
        unit=rules.unit,
        valid=valid,
        problems=problems,
        warnings=warnings,
        parts=found.parts if rules.threadable and valid else None,
        bytes=utf8_length(found.body),
        max_bytes=rules.max_bytes,
        hashtags=len(extract_hashtags(found.text)),
        title=found.title,
        title_length=None if found.title is None else rules.measure(found.title),
        title_limit=rules.title_limit,
        media_problems=media_problems,
        media=attached.facts,
    )


def shape(rules: TextRules, text: str) -> list[str]:
    """The parts to publish, in order: ``[text]`` (NFC) when it fits, else a numbered thread.

    Raises ``CannotPublish`` when the text cannot go out as it is: too long for a platform that
    does not thread (or for a thread), a forbidden character, too many hashtags or mentions.
    Media are not looked at here; ``check`` does that before a post is accepted.
    """
    found = _assess(rules, text)
    if found.problems:
        raise CannotPublish(rules, found.length, found.problems)
    return found.parts if found.parts is not None else [found.text]


def _assess(rules: TextRules, text: str) -> _Assessment:
    normalized = nfc(text)
    found = _Assessment(text=normalized, body=normalized, length=0)
    if rules.title_limit is not None:
        found.title, found.body = split_title(normalized)
        _check_title(rules, found)
    found.length = rules.measure(found.body)
    _check_characters(rules, found)
    _check_counts(rules, found)
    _check_length(rules, found)
    return found


def _check_title(rules: TextRules, found: _Assessment) -> None:
    assert found.title is not None
    assert rules.title_limit is not None
    if not found.title:
        found.problems.append(f"{rules.name} needs a title: the first line of the text.")
        return
    length = rules.measure(found.title)
    if length > rules.title_limit:
        found.problems.append(
            f"{rules.title_limit:,} {rules.unit} is {rules.name}'s limit for a title (the first"
            f" line); this title has {length:,}."
        )


def _check_characters(rules: TextRules, found: _Assessment) -> None:
    bad = sorted({char for char in found.text if char in rules.forbidden})
    if bad:
        shown = " or ".join(_show_character(char) for char in bad)
        pronoun = "them" if len(bad) > 1 else "it"
        found.problems.append(
            f"{rules.name} does not accept {shown}; remove {pronoun} from the text."
        )


def _show_character(char: str) -> str:
    if char.isprintable() and not char.isspace() and unicodedata.category(char) != "Cf":
        return f'"{char}"'
    return f"the invisible character U+{ord(char):04X}"


def _check_counts(rules: TextRules, found: _Assessment) -> None:
    """Too many hashtags, too many @-mentions: one problem each, where the platform counts."""
    counted = (
        (rules.max_hashtags, extract_hashtags, "hashtags"),
        (rules.max_mentions, extract_mentions, "@-mentions"),
    )
    for most, extract, what in counted:
        if most is None:
            continue
        count = len(extract(found.text))
        if count > most:
            found.problems.append(
                f"{rules.name} allows at most {most} {what}; this {rules.body_name} has {count}."
            )


def _check_length(rules: TextRules, found: _Assessment) -> None:
    """Over the limit: a thread where the platform threads, else a problem."""
    if rules.fits(found.body):
        if rules.threadable:
            found.parts = [found.body]
        return
    over_length = found.length > rules.limit
    if not rules.threadable:
        if over_length:
            found.problems.append(_too_long(rules, found))
        if rules.max_bytes is not None and utf8_length(found.body) > rules.max_bytes:
            found.problems.append(_too_many_bytes(rules, found))
        return
    try:
        found.parts = split_thread(found.body, rules.fits)
    except Unsplittable as exc:
        found.problems.append(
            _too_long(rules, found) if over_length else _too_many_bytes(rules, found)
        )
        found.problems.append(
            f"It cannot be split into a thread either: the {exc.kind} {exc.piece} is too long"
            f" for one {rules.name} post on its own."
        )
        return
    found.warnings.append(
        f"Too long for one {rules.name} post ({found.length:,} of {rules.limit:,}"
        f" {rules.unit}): it will be posted as a thread of {len(found.parts)}."
    )


def _too_long(rules: TextRules, found: _Assessment) -> str:
    return (
        f"{rules.limit:,} {rules.unit} is {rules.name}'s limit; this {rules.body_name} has"
        f" {found.length:,}."
    )


def _too_many_bytes(rules: TextRules, found: _Assessment) -> str:
    assert rules.max_bytes is not None
    return (
        f"{rules.name} takes at most {rules.max_bytes:,} bytes of text (an accented letter takes"
        f" 2, a CJK character 3, an emoji 4 or more); this {rules.body_name} takes"
        f" {utf8_length(found.body):,}."
    )


def _empty_problems(rules: TextRules, body: str, media: Sequence[MediaLike]) -> list[str]:
    """Nothing to say: a problem where the platform needs text, or where there is no media
    either. YouTube's empty title is already said by ``_check_title``."""
    if body.strip() or rules.title_limit is not None:
        return []
    if rules.needs_text:
        return [f"There is no text; {rules.name} needs some."]
    if not media:
        return ["There is nothing to post: no text and no media."]
    return []


def _media_problems(rules: TextRules, media: Sequence[MediaLike]) -> list[str]:
    """What the post as a whole lacks (the video a video platform needs), and alt texts too
    long for the platform; ``check_media`` judges the rest."""
    problems = []
    kinds = [item.kind for item in media]
    if rules.media == "required" and not ({"image", "video"} & set(kinds)):
        problems.append(f"{rules.name} needs an image or a video.")
    elif rules.media == "video" and "video" not in kinds:
        problems.append(f"{rules.name} needs a video.")
    if rules.alt_limit is not None:
        for number, item in enumerate(media, 1):
            length = characters(item.alt or "")
            if length > rules.alt_limit:
                problems.append(
                    f"The alt text of {item.kind} {number} has {length:,} characters;"
                    f" {rules.name} allows {rules.alt_limit:,}."
                )
    return problems
