"""The verdict on a post's media: ``check_media``, and what it found out about each medium.

``check_media`` judges a post's images and videos against one platform's ``MediaRules``
(``platforms.media.rules``); ``platforms.text.check`` calls it, so the API at submit time,
previews and ``callsheet lint`` all get the same answer from the same place.

What is checked, per medium: its kind (an image where the platform takes images), its content
type, its size in bytes, its aspect ratio where the platform documents one, and a video's length;
per post: how many images and videos, and whether they may be mixed. A file Callsheet holds
(an upload, ``platforms.media.held``) is judged on what was read from it when it was uploaded;
links are judged by their name only and never fetched at submit time, so what cannot be known
from a name (size, proportions, length) is left to the platform and a warning says so. Anything
else (a path on the server) is a problem, never looked at: the post would fail when it is due,
when nobody is looking.

Platforms that fetch media themselves from a public address (Instagram, Threads, Facebook,
Slack, Discord) cannot be given a file Callsheet holds; that is a problem too, said at once.

Alt text is carried by most platforms: an image (or, where the platform carries it for video, a
video) without it earns a warning, because it is a person's choice to publish without it, not a
reason the platform would refuse the post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from platforms.media import limits, words
from platforms.media.probe import Probe, probe
from platforms.media.rules import KindRules, MediaLike, MediaRules


@dataclass(frozen=True)
class MediumFacts:
    """What is known about one medium, for a preview or ``callsheet lint`` to show.

    ``where`` is ``"link"``, ``"file"``, ``"missing"``, or ``"unnamed"`` for an attachment
    given by kind only. Unknown facts are ``None``.
    """

    number: int
    kind: str
    where: str
    name: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    alt: bool = False
    #: The upload's id, for a file Callsheet holds.
    media_id: int | None = None


@dataclass
class MediaVerdict:
    """The media part of a post's verdict: facts per medium, problems and warnings."""

    facts: list[MediumFacts] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_media(
    name: str, rules: MediaRules, media: Sequence[MediaLike], *, image_alt_text: bool = False
) -> MediaVerdict:
    """Every problem and warning about ``media`` on the platform called ``name``.

    ``image_alt_text`` adds the alt-text warning for images where rules say so the old way
    (``TextRules.alt_text``, from before media rules existed).

    Each medium's file or link is looked at once. Counts come first (they are about the whole
    post), then each medium in order, so a person reads the shape of the post before the
    details of its parts.
    """
    verdict = MediaVerdict()
    found = [_look(item) for item in media]
    _check_counts(name, rules, media, found, verdict)
    in_carousel = len(media) > 1
    for number, (item, seen) in enumerate(zip(media, found, strict=True), 1):
        _check_medium(name, rules, number, item, seen, in_carousel, verdict, image_alt_text)
    return verdict


def _look(item: MediaLike) -> Probe | None:
    """The medium's file or link looked at, or ``None`` when it names neither. A held file
    (``held``: anything with a ``probe()``) answers for itself."""
    held = getattr(item, "held", None)
    if held is not None:
        found: Probe = held.probe()
        return found
    url = getattr(item, "url", None)
    return probe(url) if isinstance(url, str) and url.strip() else None


def _check_counts(
    name: str,
    rules: MediaRules,
    media: Sequence[MediaLike],
    found: Sequence[Probe | None],
    verdict: MediaVerdict,
) -> None:
    images = sum(1 for item in media if item.kind == "image")
    videos = sum(1 for item in media if item.kind == "video")
    if rules.max_items is not None and len(media) > rules.max_items:
        verdict.problems.append(
            f"{name} takes at most {rules.max_items} images and videos in one post; this post"
            f" has {len(media)}."
        )
    if rules.max_images is not None and images > rules.max_images:
        verdict.problems.append(
            f"{name} takes at most {words.count(rules.max_images, 'image')} per post; this post has"
            f" {images}."
        )
    if rules.max_videos is not None and videos > rules.max_videos:
        verdict.problems.append(
            f"{name} takes at most {words.count(rules.max_videos, 'video')} per post; this post has"
            f" {videos}."
        )
    if not rules.mixed and images and videos:
        verdict.problems.append(
            f"{name} takes images or a video in one post, not both; this post has"
            f" {words.count(images, 'image')} and {words.count(videos, 'video')}."
        )
    if len(media) > 1:
        for number, (item, seen) in enumerate(zip(media, found, strict=True), 1):
            if seen is not None and seen.content_type in rules.alone:
                verdict.problems.append(
                    f"{name} takes {words.type_name(seen.content_type or '')} files only on their"
                    f" own; {item.kind} {number} ({seen.name}) shares this post with"
                    f" {len(media) - 1} other {'medium' if len(media) == 2 else 'media'}."
                )
    accepted = [kind for kind in ("image", "video") if rules.for_kind(kind) is not None]
    if any(item.kind in accepted for item in media):  # else the rules' "needs a video" says it
        for number, item in enumerate(media, 1):
            if item.kind not in accepted:
                verdict.problems.append(
                    f"{name} takes no {item.kind}s; {item.kind} {number} cannot go with this post."
                )


def _check_medium(
    name: str,
    rules: MediaRules,
    number: int,
    item: MediaLike,
    found: Probe | None,
    in_carousel: bool,
    verdict: MediaVerdict,
    image_alt_text: bool,
) -> None:
    kind_rules = rules.for_kind(item.kind, in_carousel=in_carousel)
    label = f"{item.kind} {number}"
    has_alt = bool((item.alt or "").strip())
    if found is None:
        verdict.facts.append(MediumFacts(number, item.kind, "unnamed", alt=has_alt))
    else:
        media_id = getattr(getattr(item, "held", None), "media_id", None)
        verdict.facts.append(_facts(number, item.kind, found, has_alt, media_id))
        label = f"{label} ({found.name})"
        if kind_rules is not None:
            _check_file(name, rules, kind_rules, label, item.kind, found, in_carousel, verdict)
    if kind_rules is None:
        return
    if item.kind not in rules.shown:
        verdict.warnings.append(
            f"{name} does not show {item.kind}s: {label} will not be part of this post."
        )
    elif (kind_rules.alt_text or (image_alt_text and item.kind == "image")) and not has_alt:
        verdict.warnings.append(
            f"{item.kind.capitalize()} {number} has no alt text: people using screen readers on"
            f" {name} will not know what it shows."
        )


def _facts(
    number: int, kind: str, found: Probe, has_alt: bool, media_id: int | None
) -> MediumFacts:
    return MediumFacts(
        media_id=media_id,
        number=number,
        kind=kind,
        where=found.where,
        name=found.name,
        content_type=found.content_type,
        bytes=found.bytes,
        width=found.width,
        height=found.height,
        seconds=found.seconds,
        alt=has_alt,
    )


def _check_file(
    name: str,
    rules: MediaRules,
    kind_rules: KindRules,
    label: str,
    kind: str,
    found: Probe,
    in_carousel: bool,
    verdict: MediaVerdict,
) -> None:
    """The checks that need the medium's file or link: where it is, type, size, shape, length."""
    if found.where == "missing":
        verdict.problems.append(f"{label.capitalize()} cannot be used: {found.error}.")
        return
    if rules.public_links and found.where == "file":
        verdict.problems.append(
            f"{name} fetches media from a public link; {label} is a file Callsheet holds."
            " Put it online and give its https:// address instead."
        )
    _check_type(name, kind_rules, label, kind, found, verdict)
    if found.where == "link":
        unchecked = _unchecked(kind_rules, found)
        if unchecked:
            verdict.warnings.append(
                f"{label.capitalize()} is a link, not fetched until the post is due: its"
                f" {unchecked} will be checked by {name} then."
            )
        return
    _check_size(name, kind_rules, label, kind, found, verdict)
    _check_ratio(name, kind_rules, label, kind, found, in_carousel, verdict)
    _check_seconds(name, kind_rules, label, kind, found, in_carousel, verdict)


def _check_type(
    name: str, kind_rules: KindRules, label: str, kind: str, found: Probe, verdict: MediaVerdict
) -> None:
    content_type = found.content_type
    if content_type is None:
        if kind_rules.types and found.where == "file":
            verdict.problems.append(
                f"{name} takes {kind}s as {words.types(kind_rules.types)}; {label} is not a file"
                " Callsheet recognises."
            )
        return
    major = content_type.split("/")[0]
    if major in ("image", "video") and major != kind:
        verdict.problems.append(
            f"{label.capitalize()} is {words.article(major)} {major}"
            f" ({words.type_name(content_type)}), not {words.article(kind)} {kind}; give its kind"
            f" as {major}."
        )
        return
    if kind_rules.types and content_type not in kind_rules.types:
        verdict.problems.append(
            f"{name} takes {kind}s as {words.types(kind_rules.types)}; {label} is"
            f" {words.type_name(content_type)}."
        )


def _check_size(
    name: str, kind_rules: KindRules, label: str, kind: str, found: Probe, verdict: MediaVerdict
) -> None:
    limit = kind_rules.byte_limit(found.content_type)
    if limit is None or found.bytes is None or found.bytes <= limit:
        return
    overridden = dict(kind_rules.max_bytes_by_type)
    what = (
        f"{words.type_name(found.content_type or '')} files"
        if found.content_type in overridden
        else f"{kind}s"
    )
    shown, allowed = words.size(found.bytes), words.size(limit)
    if shown == allowed:
        shown, allowed = f"{found.bytes:,} bytes", f"{limit:,} bytes"
    verdict.problems.append(
        f"{label.capitalize()} is {shown}; {name} takes {what} up to {allowed}."
    )


def _check_ratio(
    name: str,
    kind_rules: KindRules,
    label: str,
    kind: str,
    found: Probe,
    in_carousel: bool,
    verdict: MediaVerdict,
) -> None:
    if kind_rules.ratio is None:
        return
    ratio = found.ratio
    if ratio is None:
        verdict.warnings.append(
            f"The proportions of {label} could not be read; {name} takes {kind}s from"
            f" {words.ratio(kind_rules.ratio[0])} to {words.ratio(kind_rules.ratio[1])} and will"
            " refuse it otherwise."
        )
        return
    low, high = kind_rules.ratio
    tolerance = limits.RATIO_TOLERANCE
    if low * (1 - tolerance) <= ratio <= high * (1 + tolerance):
        return
    where = " in a post with other media" if in_carousel and kind == "video" else ""
    verdict.problems.append(
        f"{name} takes {kind}s{where} from {words.ratio(low)} (tallest) to"
        f" {words.ratio(high)} (widest); {label} is {found.width} by {found.height} pixels,"
        f" {words.ratio(ratio)}."
    )


def _check_seconds(
    name: str,
    kind_rules: KindRules,
    label: str,
    kind: str,
    found: Probe,
    in_carousel: bool,
    verdict: MediaVerdict,
) -> None:
    if kind_rules.seconds is None or kind != "video":
        return
    shortest, longest = kind_rules.seconds
    span = words.span(shortest, longest)
    if found.seconds is None:
        verdict.warnings.append(
            f"The length of {label} could not be read; {name} takes videos {span}."
        )
        return
    if found.seconds < shortest or (longest is not None and found.seconds > longest):
        where = " in a post with other media" if in_carousel else ""
        verdict.problems.append(
            f"{name} takes videos{where} {span}; {label} runs {words.duration(found.seconds)}."
        )


def _unchecked(kind_rules: KindRules, found: Probe) -> str:
    """What a link's name cannot tell, of what this platform checks, in words."""
    parts = []
    if kind_rules.types and found.content_type is None:
        parts.append("type")
    if kind_rules.max_bytes or kind_rules.max_bytes_by_type:
        parts.append("size")
    if kind_rules.ratio:
        parts.append("proportions")
    if kind_rules.seconds is not None:
        parts.append("length")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return "".join(parts)
