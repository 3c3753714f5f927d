"""Per-platform media rules: which images and videos a platform takes, and the verdict on a post's.

One ``MediaRules`` per platform (``TextRules.attachments``), built from the numbers in
``limits`` and judged by ``check_media``, which ``platforms.text.check`` calls: the API at submit
time, previews and ``callsheet lint`` all get the same answer from the same place.

What is checked, per medium: its kind (an image where the platform takes images), its content
type, its size in bytes, its aspect ratio where the platform documents one, and a video's length;
per post: how many images and videos, and whether they may be mixed. Local files are read
(``platforms.text.probe``); links are judged by their name only and never fetched at submit time,
so what cannot be known from a name (size, proportions, length) is left to the platform and a
warning says so. A local file that is not there is a problem: the post would fail when it is
due, when nobody is looking.

Platforms that fetch media themselves from a public address (Instagram, Threads, Facebook,
Slack, Discord) cannot be given a file on this machine; that is a problem too, said at once.

Alt text is carried by most platforms: an image (or, where the platform carries it for video, a
video) without it earns a warning, because it is a person's choice to publish without it, not a
reason the platform would refuse the post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from platforms.text import limits
from platforms.text.probe import Probe, probe


class MediaLike(Protocol):
    """What the rules need to know about an attachment: its kind and its alt text.

    An attachment may also have a ``url`` (a ``platforms.adapters.base.Media`` has): then its
    file or link is looked at too. One named only by kind (``callsheet lint --media image``)
    is judged on kind, count and alt text alone.
    """

    @property
    def kind(self) -> str:
        """``"image"`` or ``"video"``."""
        ...

    @property
    def alt(self) -> str | None:
        """The alt text (description for screen readers), if any."""
        ...


@dataclass(frozen=True)
class KindRules:
    """What one platform takes of one kind of medium (images, or videos).

    ``types`` are content types (empty: any of this kind); ``max_bytes_by_type`` overrides
    ``max_bytes`` for one type (X's animated GIFs); ``ratio`` is the width/height range and
    ``seconds`` a video's length range (``None``: not documented, not checked). ``alt_text``
    says the platform carries alt text for this kind, so a medium without it earns a warning.
    """

    types: tuple[str, ...] = ()
    max_bytes: int | None = None
    max_bytes_by_type: tuple[tuple[str, int], ...] = ()
    ratio: tuple[float, float] | None = None
    seconds: tuple[float, float | None] | None = None
    alt_text: bool = False

    def byte_limit(self, content_type: str | None) -> int | None:
        """The size limit for a file of ``content_type``."""
        return dict(self.max_bytes_by_type).get(content_type or "", self.max_bytes)

    @property
    def checks_the_file(self) -> bool:
        """Whether anything here needs the file itself (size, proportions, length)."""
        return bool(
            self.max_bytes or self.max_bytes_by_type or self.ratio or self.seconds is not None
        )


#: A platform that takes any image or video, as many as a post has, from anywhere.
ANY = KindRules()


@dataclass(frozen=True)
class MediaRules:
    """What one platform takes in one post, besides the text.

    ``image``/``video``: the rules per kind; ``None`` means the platform does not take that kind
    at all (TikTok and YouTube take no images). ``max_images``, ``max_videos`` and ``max_items``
    count per post (``None``: no documented limit); ``mixed`` is whether images and videos may
    share a post; ``alone`` are content types that must be a post's only medium (X's animated
    GIF). ``carousel_video`` judges a video that shares its post with other media, where a
    platform treats it differently (Instagram: a reel alone, a shorter "video" in a carousel).
    ``public_links`` means the platform fetches media itself, so only an http(s) link will do.
    ``shown`` lists the kinds a platform actually shows; other kinds are sent nowhere and a
    warning says so (Discord's webhook embeds show images only).
    """

    image: KindRules | None = ANY
    video: KindRules | None = ANY
    max_images: int | None = None
    max_videos: int | None = None
    max_items: int | None = None
    mixed: bool = True
    alone: tuple[str, ...] = ()
    carousel_video: KindRules | None = None
    public_links: bool = False
    shown: tuple[str, ...] = ("image", "video")

    def for_kind(self, kind: str, *, in_carousel: bool = False) -> KindRules | None:
        """The rules a medium of ``kind`` is judged by, alone or among others."""
        if kind == "video":
            if in_carousel and self.carousel_video is not None:
                return self.carousel_video
            return self.video
        return self.image


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
    """The medium's file or link looked at, or ``None`` when it names neither."""
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
            f"{name} takes at most {_count(rules.max_images, 'image')} per post; this post has"
            f" {images}."
        )
    if rules.max_videos is not None and videos > rules.max_videos:
        verdict.problems.append(
            f"{name} takes at most {_count(rules.max_videos, 'video')} per post; this post has"
            f" {videos}."
        )
    if not rules.mixed and images and videos:
        verdict.problems.append(
            f"{name} takes images or a video in one post, not both; this post has"
            f" {_count(images, 'image')} and {_count(videos, 'video')}."
        )
    if len(media) > 1:
        for number, (item, seen) in enumerate(zip(media, found, strict=True), 1):
            if seen is not None and seen.content_type in rules.alone:
                verdict.problems.append(
                    f"{name} takes {_type_name(seen.content_type or '')} files only on their"
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
        verdict.facts.append(_facts(number, item.kind, found, has_alt))
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


def _facts(number: int, kind: str, found: Probe, has_alt: bool) -> MediumFacts:
    return MediumFacts(
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
            f"{name} fetches media from a public link; {label} is a file on this machine."
            " Upload it and give its https:// address instead."
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
                f"{name} takes {kind}s as {_types(kind_rules.types)}; {label} is not a file"
                " Callsheet recognises."
            )
        return
    major = content_type.split("/")[0]
    if major in ("image", "video") and major != kind:
        verdict.problems.append(
            f"{label.capitalize()} is {_a(major)} {major} ({_type_name(content_type)}), not"
            f" {_a(kind)} {kind}; give its kind as {major}."
        )
        return
    if kind_rules.types and content_type not in kind_rules.types:
        verdict.problems.append(
            f"{name} takes {kind}s as {_types(kind_rules.types)}; {label} is"
            f" {_type_name(content_type)}."
        )


def _check_size(
    name: str, kind_rules: KindRules, label: str, kind: str, found: Probe, verdict: MediaVerdict
) -> None:
    limit = kind_rules.byte_limit(found.content_type)
    if limit is None or found.bytes is None or found.bytes <= limit:
        return
    overridden = dict(kind_rules.max_bytes_by_type)
    what = (
        f"{_type_name(found.content_type or '')} files"
        if found.content_type in overridden
        else f"{kind}s"
    )
    shown, allowed = _size(found.bytes), _size(limit)
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
            f" {_ratio(kind_rules.ratio[0])} to {_ratio(kind_rules.ratio[1])} and will refuse"
            " it otherwise."
        )
        return
    low, high = kind_rules.ratio
    tolerance = limits.RATIO_TOLERANCE
    if low * (1 - tolerance) <= ratio <= high * (1 + tolerance):
        return
    where = " in a post with other media" if in_carousel and kind == "video" else ""
    verdict.problems.append(
        f"{name} takes {kind}s{where} from {_ratio(low)} (tallest) to {_ratio(high)} (widest);"
        f" {label} is {found.width} by {found.height} pixels, {_ratio(ratio)}."
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
    span = _span(shortest, longest)
    if found.seconds is None:
        verdict.warnings.append(
            f"The length of {label} could not be read; {name} takes videos {span}."
        )
        return
    if found.seconds < shortest or (longest is not None and found.seconds > longest):
        where = " in a post with other media" if in_carousel else ""
        verdict.problems.append(
            f"{name} takes videos{where} {span}; {label} runs {_duration(found.seconds)}."
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


# --- words -------------------------------------------------------------------------------------

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


def _type_name(content_type: str) -> str:
    return _TYPE_NAMES.get(content_type, content_type)


def _types(types: Sequence[str]) -> str:
    names = [_type_name(t) for t in types]
    if len(names) == 1:
        return f"{names[0]} only"
    return ", ".join(names[:-1]) + " or " + names[-1]


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _count(number: int, noun: str) -> str:
    if number == 1:
        return f"one {noun}"
    return f"{number} {noun}s"


def _size(count: int) -> str:
    """Bytes as people read them: "412 KB", "8 MB", "16.8 MB" (decimal, as platforms write)."""
    if count < limits.MB:
        return f"{count / 1000:.0f} KB"
    if count < limits.GB:
        return f"{count / limits.MB:.1f}".removesuffix(".0") + " MB"
    return f"{count / limits.GB:.1f}".removesuffix(".0") + " GB"


def _ratio(value: float) -> str:
    """An aspect ratio as platforms write it: "1.91:1" for wide, "4:5"-like "1:1.25" for tall."""
    if value >= 1:
        return f"{_number(value)}:1"
    return f"1:{_number(1 / value)}"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _duration(seconds: float) -> str:
    """A length as people say it: "0.5 s", "42 s", "2 min 20 s", "15 min"."""
    if seconds < 60:
        return f"{_number(seconds)} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def _span(shortest: float, longest: float | None) -> str:
    if longest is None:
        return f"of at least {_duration(shortest)}"
    if shortest <= 0:
        return f"up to {_duration(longest)}"
    return f"from {_duration(shortest)} to {_duration(longest)}"


# --- the platforms -------------------------------------------------------------------------------

X_MEDIA = MediaRules(
    image=KindRules(
        types=limits.X_IMAGE_TYPES,
        max_bytes=limits.X_IMAGE_MAX_BYTES,
        max_bytes_by_type=(("image/gif", limits.X_GIF_MAX_BYTES),),
        alt_text=True,
    ),
    video=KindRules(
        types=limits.X_VIDEO_TYPES,
        max_bytes=limits.X_VIDEO_MAX_BYTES,
        ratio=limits.X_VIDEO_RATIO,
        seconds=limits.X_VIDEO_SECONDS,
    ),
    max_images=limits.X_MAX_IMAGES,
    max_videos=1,
    mixed=False,
    alone=("image/gif",),
)
BLUESKY_MEDIA = MediaRules(
    image=KindRules(max_bytes=limits.BLUESKY_IMAGE_MAX_BYTES, alt_text=True),
    video=KindRules(
        types=limits.BLUESKY_VIDEO_TYPES,
        max_bytes=limits.BLUESKY_VIDEO_MAX_BYTES,
        seconds=limits.BLUESKY_VIDEO_SECONDS,
        alt_text=True,
    ),
    max_images=limits.BLUESKY_MAX_IMAGES,
    max_videos=1,
    mixed=False,
)
MASTODON_MEDIA = MediaRules(
    image=KindRules(
        types=limits.MASTODON_IMAGE_TYPES,
        max_bytes=limits.MASTODON_IMAGE_MAX_BYTES,
        alt_text=True,
    ),
    video=KindRules(
        types=limits.MASTODON_VIDEO_TYPES,
        max_bytes=limits.MASTODON_VIDEO_MAX_BYTES,
        alt_text=True,
    ),
    max_items=limits.MASTODON_MAX_MEDIA,
    max_videos=1,
    mixed=False,
)
THREADS_MEDIA = MediaRules(
    image=KindRules(
        types=limits.THREADS_IMAGE_TYPES,
        max_bytes=limits.THREADS_IMAGE_MAX_BYTES,
        ratio=limits.THREADS_IMAGE_RATIO,
        alt_text=True,
    ),
    video=KindRules(
        types=limits.THREADS_VIDEO_TYPES,
        max_bytes=limits.THREADS_VIDEO_MAX_BYTES,
        ratio=limits.THREADS_VIDEO_RATIO,
        seconds=limits.THREADS_VIDEO_SECONDS,
        alt_text=True,
    ),
    max_items=limits.THREADS_MAX_MEDIA,
    public_links=True,
)
INSTAGRAM_MEDIA = MediaRules(
    image=KindRules(
        types=limits.INSTAGRAM_IMAGE_TYPES,
        max_bytes=limits.INSTAGRAM_IMAGE_MAX_BYTES,
        ratio=limits.INSTAGRAM_IMAGE_RATIO,
        alt_text=True,
    ),
    video=KindRules(
        types=limits.INSTAGRAM_VIDEO_TYPES,
        max_bytes=limits.INSTAGRAM_REEL_MAX_BYTES,
        ratio=limits.INSTAGRAM_REEL_RATIO,
        seconds=limits.INSTAGRAM_REEL_SECONDS,
    ),
    carousel_video=KindRules(
        types=limits.INSTAGRAM_VIDEO_TYPES,
        max_bytes=limits.INSTAGRAM_CAROUSEL_VIDEO_MAX_BYTES,
        ratio=limits.INSTAGRAM_CAROUSEL_VIDEO_RATIO,
        seconds=limits.INSTAGRAM_CAROUSEL_VIDEO_SECONDS,
    ),
    max_items=limits.INSTAGRAM_MAX_MEDIA,
    public_links=True,
)
FACEBOOK_MEDIA = MediaRules(
    image=KindRules(types=limits.FACEBOOK_IMAGE_TYPES, alt_text=True),
    video=ANY,
    max_videos=1,
    mixed=False,
    public_links=True,
)
LINKEDIN_MEDIA = MediaRules(
    image=KindRules(types=limits.LINKEDIN_IMAGE_TYPES, alt_text=True),
    video=KindRules(
        types=limits.LINKEDIN_VIDEO_TYPES,
        max_bytes=limits.LINKEDIN_VIDEO_MAX_BYTES,
        seconds=limits.LINKEDIN_VIDEO_SECONDS,
    ),
    max_images=limits.LINKEDIN_MAX_IMAGES,
    max_videos=1,
    mixed=False,
)
TIKTOK_MEDIA = MediaRules(
    image=None,
    video=KindRules(
        types=limits.TIKTOK_VIDEO_TYPES,
        max_bytes=limits.TIKTOK_VIDEO_MAX_BYTES,
        seconds=limits.TIKTOK_VIDEO_SECONDS,
    ),
    max_videos=1,
)
YOUTUBE_MEDIA = MediaRules(
    image=None,
    video=KindRules(max_bytes=limits.YOUTUBE_VIDEO_MAX_BYTES),
    max_videos=1,
)
SLACK_MEDIA = MediaRules(image=KindRules(alt_text=True), public_links=True)
DISCORD_MEDIA = MediaRules(
    max_images=limits.DISCORD_MAX_EMBEDS, public_links=True, shown=("image",)
)
