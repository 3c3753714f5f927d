"""Every platform number the text rules use, each with where it comes from.

Platforms change their limits; when a text limit changes, this is the only file to edit (the
numbers for images and videos are in ``platforms.media.limits``). The sources are the platforms'
developer documentation as gathered in ``shared/PLATFORMS.md`` (late 2026) unless a comment names
something more specific. A number we chose ourselves says so.
"""

from __future__ import annotations

from typing import Final

# --- X ---------------------------------------------------------------------------------------
#: twitter-text configuration v3 (twitter/twitter-text ``config/v3.json``), which X's API applies
#: to ``POST /2/tweets``: weights are in hundredths, most code points weigh 200 (2 characters),
#: the ranges below weigh 100 (1 character), every URL weighs ``X_URL_LENGTH`` characters, and an
#: emoji sequence weighs ``X_DEFAULT_WEIGHT`` once, however many code points it has.
X_MAX_WEIGHTED_LENGTH: Final = 280
X_SCALE: Final = 100
X_DEFAULT_WEIGHT: Final = 200
X_URL_LENGTH: Final = 23
X_LIGHT_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0, 4351),  # Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts, Thai, Georgian...
    (8192, 8205),  # general punctuation: spaces, ZWSP, ZWNJ, ZWJ
    (8208, 8223),  # dashes and quotation marks
    (8242, 8247),  # primes
)
X_LIGHT_WEIGHT: Final = 100
#: twitter-text ``invalidChars``: a post containing one of these is refused.
X_INVALID_CHARACTERS: Final = "\ufffe\ufeff\uffff"
#: X media metadata: alt text up to 1,000 characters.
X_ALT_TEXT_LIMIT: Final = 1000

# --- Bluesky ---------------------------------------------------------------------------------
#: Lexicon ``app.bsky.feed.post``: ``text`` has ``maxGraphemes: 300`` and ``maxLength: 3000``
#: (lexicon string lengths are UTF-8 bytes).
BLUESKY_MAX_GRAPHEMES: Final = 300
BLUESKY_MAX_BYTES: Final = 3000
#: Lexicon ``app.bsky.richtext.facet#tag``: ``maxGraphemes: 64``; a longer tag gets no facet.
BLUESKY_TAG_MAX_GRAPHEMES: Final = 64

# --- Mastodon --------------------------------------------------------------------------------
#: Mastodon's ``StatusLengthValidator``: 500 by default, per instance in ``/api/v2/instance``
#: (``configuration.statuses.max_characters``), counted in grapheme clusters, every http(s) URL
#: as ``characters_reserved_per_url`` (23), a mention ``@user@domain`` as ``@user``.
MASTODON_DEFAULT_MAX_CHARACTERS: Final = 500
MASTODON_URL_LENGTH: Final = 23
#: ``MediaAttachment::MAX_DESCRIPTION_LENGTH`` (``media_attachments.description_limit``).
MASTODON_ALT_TEXT_LIMIT: Final = 1500

# --- Meta ------------------------------------------------------------------------------------
#: Threads API: a post's ``text`` is at most 500 characters.
THREADS_MAX_CHARACTERS: Final = 500
#: Instagram content publishing: captions up to 2,200 characters, at most 30 hashtags and 20
#: @-tags.
INSTAGRAM_MAX_CHARACTERS: Final = 2200
INSTAGRAM_MAX_HASHTAGS: Final = 30
INSTAGRAM_MAX_MENTIONS: Final = 20
#: Facebook Page feed ``message``: 63,206 characters.
FACEBOOK_MAX_CHARACTERS: Final = 63206

# --- Others ----------------------------------------------------------------------------------
#: LinkedIn Posts API ``commentary``: 3,000 characters.
LINKEDIN_MAX_CHARACTERS: Final = 3000
#: TikTok Content Posting API: the caption (``post_info.title``) is at most 2,200 characters,
#: counted in UTF-16 code units.
TIKTOK_MAX_CHARACTERS: Final = 2200
#: YouTube Data API ``videos.insert``: ``snippet.title`` at most 100 characters,
#: ``snippet.description`` at most 5,000 bytes; neither may contain ``<`` or ``>``.
YOUTUBE_TITLE_MAX_CHARACTERS: Final = 100
YOUTUBE_DESCRIPTION_MAX_BYTES: Final = 5000
YOUTUBE_FORBIDDEN_CHARACTERS: Final = "<>"
#: Slack ``chat.postMessage`` / incoming webhooks: ``text`` beyond 40,000 characters is cut off.
SLACK_MAX_CHARACTERS: Final = 40000
#: Discord execute-webhook: ``content`` at most 2,000 characters.
DISCORD_MAX_CHARACTERS: Final = 2000

# --- Callsheet's own -------------------------------------------------------------------------
#: Ours, not a platform's: the webhook and the outbox take any length, but a "post" longer than
#: this is a pasted manuscript, and refusing it at submit time is kinder than sending it.
HOUSE_MAX_CHARACTERS: Final = 100_000
