"""What each platform takes besides the text: the media rule types, and one ``MediaRules`` each.

``MediaRules`` (with a ``KindRules`` per kind) states what one platform takes in one post:
content types, sizes, aspect ratios, video lengths, counts, whether images and videos mix, and
whether alt text is carried. The per-platform table at the end (``X_MEDIA``, ``BLUESKY_MEDIA``...)
is built from the numbers in ``platforms.media.limits``; ``platforms.text.RULES`` attaches one to
each platform's text rules (``TextRules.attachments``).

Apart from the checking (``platforms.media.check``): this module says what a platform takes and
changes when a platform does; the checking says how a post is judged against it and what a person
is told. ``MediaLike`` lives here because it is what these rules are stated about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from platforms.media import limits


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
