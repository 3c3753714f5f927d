"""Every platform number the media rules use, each with where it comes from.

Platforms change what images and videos they take; when one does, this is the only file to edit
(the text's numbers are in ``platforms.text.limits``). The sources are the platforms' developer
documentation as gathered in ``shared/PLATFORMS.md`` (late 2026) unless a comment names
something more specific. A number we chose ourselves says so.

Sizes: a platform's "MB" is read as 1,000,000 bytes (the stricter reading) unless its source
gives bytes or is code that says otherwise (Mastodon's Rails ``megabytes`` are MiB). Aspect
ratios are width / height. Durations are seconds; ``None`` as a maximum means none documented.
"""

from __future__ import annotations

from typing import Final

MB: Final = 1_000_000
GB: Final = 1_000_000_000
MIB: Final = 1024 * 1024

#: X "Media best practices" (docs.x.com, ``x-api/media/quickstart/best-practices``, 2026-08):
#: up to 4 photos, or 1 animated GIF, or 1 video per post; images JPG, PNG, GIF, WEBP up to 5 MB,
#: animated GIFs up to 15 MB; video up to 512 MB, 0.5 to 140 seconds, aspect ratio 1:3 to 3:1.
#: Video types: the ``media_type`` enum of ``POST /2/media/upload/initialize`` (X's OpenAPI).
X_MAX_IMAGES: Final = 4
X_IMAGE_TYPES: Final = ("image/jpeg", "image/png", "image/gif", "image/webp")
X_IMAGE_MAX_BYTES: Final = 5 * MB
X_GIF_MAX_BYTES: Final = 15 * MB
X_VIDEO_TYPES: Final = ("video/mp4", "video/quicktime", "video/webm", "video/mp2t")
X_VIDEO_MAX_BYTES: Final = 512 * MB
X_VIDEO_SECONDS: Final = (0.5, 140.0)
X_VIDEO_RATIO: Final = (1 / 3, 3.0)

#: Lexicon ``app.bsky.embed.images``: at most 4 images, ``accept: image/*``, ``maxSize:
#: 1000000``. Lexicon ``app.bsky.embed.video``: one ``video/mp4`` of ``maxSize: 100000000``
#: ("may be up to 100mb, formerly limited to 50mb"). Length: Bluesky's video announcement of
#: March 2025 (app 1.99) raised the limit from 60 seconds to 3 minutes.
BLUESKY_MAX_IMAGES: Final = 4
BLUESKY_IMAGE_MAX_BYTES: Final = 1_000_000
BLUESKY_VIDEO_TYPES: Final = ("video/mp4",)
BLUESKY_VIDEO_MAX_BYTES: Final = 100_000_000
BLUESKY_VIDEO_SECONDS: Final = (0.0, 180.0)

#: Mastodon ``app/models/media_attachment.rb``: ``IMAGE_LIMIT = 16.megabytes``, ``VIDEO_LIMIT =
#: 99.megabytes``, ``IMAGE_MIME_TYPES`` and ``VIDEO_MIME_TYPES``; ``PostStatusService`` refuses
#: more than 4 attachments, and a video with anything else. An instance may announce other
#: numbers in ``/api/v2/instance`` (``configuration.media_attachments``); these are the defaults.
MASTODON_MAX_MEDIA: Final = 4
MASTODON_IMAGE_TYPES: Final = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/webp",
    "image/avif",
)
MASTODON_IMAGE_MAX_BYTES: Final = 16 * MIB
MASTODON_VIDEO_TYPES: Final = ("video/webm", "video/mp4", "video/quicktime", "video/ogg")
MASTODON_VIDEO_MAX_BYTES: Final = 99 * MIB

#: Threads API "Media specifications" (Meta, Threads posts): images JPEG or PNG, 8 MB, aspect
#: ratio limit 10:1; video MOV or MP4, 1 GB, 300 seconds (5 minutes) at most, aspect ratio 0.01:1
#: to 10:1. A carousel holds up to 20 images and videos.
THREADS_MAX_MEDIA: Final = 20
THREADS_IMAGE_TYPES: Final = ("image/jpeg", "image/png")
THREADS_IMAGE_MAX_BYTES: Final = 8 * MB
THREADS_IMAGE_RATIO: Final = (1 / 10, 10.0)
THREADS_VIDEO_TYPES: Final = ("video/mp4", "video/quicktime")
THREADS_VIDEO_MAX_BYTES: Final = 1 * GB
THREADS_VIDEO_SECONDS: Final = (0.0, 300.0)
THREADS_VIDEO_RATIO: Final = (0.01, 10.0)

#: Instagram Graph API, ``POST /{ig-user-id}/media`` ("Image specifications", "Reel
#: specifications", "Video specifications"): images JPEG only, 8 MB, aspect ratio 4:5 to 1.91:1;
#: a reel (our single video) MOV or MP4, 300 MB, 3 seconds to 15 minutes, 0.01:1 to 10:1; a video
#: inside a carousel 100 MB, 3 to 60 seconds, 4:5 to 16:9. A carousel holds up to 10 items.
INSTAGRAM_MAX_MEDIA: Final = 10
INSTAGRAM_IMAGE_TYPES: Final = ("image/jpeg",)
INSTAGRAM_IMAGE_MAX_BYTES: Final = 8 * MB
INSTAGRAM_IMAGE_RATIO: Final = (4 / 5, 1.91)
INSTAGRAM_VIDEO_TYPES: Final = ("video/mp4", "video/quicktime")
INSTAGRAM_REEL_MAX_BYTES: Final = 300 * MB
INSTAGRAM_REEL_SECONDS: Final = (3.0, 15 * 60.0)
INSTAGRAM_REEL_RATIO: Final = (0.01, 10.0)
INSTAGRAM_CAROUSEL_VIDEO_MAX_BYTES: Final = 100 * MB
INSTAGRAM_CAROUSEL_VIDEO_SECONDS: Final = (3.0, 60.0)
INSTAGRAM_CAROUSEL_VIDEO_RATIO: Final = (4 / 5, 16 / 9)

#: Graph API "Uploading photos": Facebook takes JPEG, BMP, PNG, GIF and TIFF (it recommends
#: under 4 MB but documents no limit). A Page post carries photos or one video, not both.
FACEBOOK_IMAGE_TYPES: Final = ("image/jpeg", "image/bmp", "image/png", "image/gif", "image/tiff")

#: LinkedIn Images API (JPG, GIF, PNG) and Posts API (a multi-image post takes 2 to 20 images);
#: Videos API: MP4, 3 seconds to 30 minutes, 75 KB to 500 MB. One video goes alone.
LINKEDIN_MAX_IMAGES: Final = 20
LINKEDIN_IMAGE_TYPES: Final = ("image/jpeg", "image/png", "image/gif")
LINKEDIN_VIDEO_TYPES: Final = ("video/mp4",)
LINKEDIN_VIDEO_MAX_BYTES: Final = 500 * MB
LINKEDIN_VIDEO_SECONDS: Final = (3.0, 30 * 60.0)

#: TikTok Content Posting API, "Media Transfer Guide" (video restrictions): MP4, WebM or MOV, at
#: most 4 GB; "the longest video a developer can send ... is 10 minutes" (a creator's own,
#: shorter cap comes from creator info at publish time). The 3-second minimum is not in TikTok's
#: guide; it is what schedulers publishing to TikTok document (Ayrshare's media guidelines).
TIKTOK_VIDEO_TYPES: Final = ("video/mp4", "video/webm", "video/quicktime")
TIKTOK_VIDEO_MAX_BYTES: Final = 4 * GB
TIKTOK_VIDEO_SECONDS: Final = (3.0, 10 * 60.0)

#: YouTube Data API ``videos.insert``: "Maximum file size: 256GB; accepted media MIME types:
#: video/*, application/octet-stream". No length limit at the API (an unverified channel's 15
#: minutes is YouTube's to enforce, per channel).
YOUTUBE_VIDEO_MAX_BYTES: Final = 256 * GB

#: Discord execute-webhook: ``embeds`` holds at most 10 embeds (we send one image each).
DISCORD_MAX_EMBEDS: Final = 10

#: Ours: the part of a MOV/MP4 read to find its length and picture size (the ``moov`` box). Real
#: movie headers are kilobytes to a few megabytes; a bigger one is not read at submit time.
MOVIE_HEADER_MAX_BYTES: Final = 64 * MIB
#: Ours: top-level boxes walked looking for it. A real file has a handful (``ftyp``, ``moov``,
#: ``mdat``, ``free``); a damaged one is not walked box by box to its end.
MOVIE_MAX_TOP_LEVEL_BOXES: Final = 1000
#: Ours: two aspect ratios closer than this (relative) are the same; platforms round theirs
#: (1080 x 566 is Instagram's own 1.91:1 example and measures 1.908).
RATIO_TOLERANCE: Final = 0.01
