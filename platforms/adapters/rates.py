"""How often each platform lets one account publish, each number with where it comes from.

The scheduler keeps every account inside these budgets before it hands a post to a worker, so
a busy account waits its turn instead of meeting the platform's 429 (and on some platforms a
spent quota blocks the account for a day). The sources are the platforms' developer
documentation as gathered in ``shared/PLATFORMS.md`` (late 2026) unless a comment names
something else; a number we chose ourselves says so.

One unit is one delivery. Where a platform counts requests or points rather than posts, the
budget leaves room for the requests a delivery spends besides its first create (thread parts,
media uploads, lookups), and says how much. A platform missing here, or mapped to ``()``, is
not paced (a plugin may declare ``publish_rates`` on its adapter class instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

MINUTE: Final = 60
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR


@dataclass(frozen=True)
class PublishRate:
    """At most ``posts`` deliveries in any ``seconds`` (a moving window), per account."""

    posts: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.posts} per {self.seconds} s"


PUBLISH_RATES: Final[Mapping[str, tuple[PublishRate, ...]]] = {
    # X: 300 posts per 3 h per user per app; ``POST /2/tweets`` takes 200 requests per 15 min
    # per user. We keep half of the 200 (ours), as a thread spends one request per part.
    "x": (PublishRate(300, 3 * HOUR), PublishRate(100, 15 * MINUTE)),
    # Bluesky: 5,000 points an hour and 35,000 a day, a createRecord costing 3. We count a
    # delivery as three creates (ours: a thread of up to three parts): 555 an hour, 3,888 a day.
    "bluesky": (PublishRate(555, HOUR), PublishRate(3888, DAY)),
    # Mastodon: 300 requests per 5 min per account. A status with four images is five requests,
    # so we keep a fifth (ours). Media uploads also have 30 per 30 min, left to the platform's
    # 429 (which the worker honours).
    "mastodon": (PublishRate(60, 5 * MINUTE),),
    # Instagram: 50 API-published posts per rolling 24 h (``content_publishing_limit``).
    "instagram": (PublishRate(50, DAY),),
    # Threads: 250 posts per 24 h (replies, a thread's later parts, have 1,000 of their own).
    "threads": (PublishRate(250, DAY),),
    # Facebook Pages: no posting cap in our sources, only the app's call budget; ours: 25 an
    # hour, well above any production's schedule and well below a spam flag.
    "facebook": (PublishRate(25, HOUR),),
    # LinkedIn: about 150 posts a day per member.
    "linkedin": (PublishRate(150, DAY),),
    # TikTok: ``video/init`` takes 6 requests a minute per token; TikTok's Direct Post guide
    # also caps a creator at about 15 API posts a day (not in shared/PLATFORMS.md).
    "tiktok": (PublishRate(6, MINUTE), PublishRate(15, DAY)),
    # YouTube: 100 ``videos.insert`` a day in their own quota bucket.
    "youtube": (PublishRate(100, DAY),),
    # Slack incoming webhooks: one message a second per webhook (Slack's rate-limit page; not
    # in shared/PLATFORMS.md), short bursts tolerated.
    "slack": (PublishRate(1, 1),),
    # Discord webhooks: 30 a minute per webhook; the per-route bucket its headers announce is
    # commonly 5 per 2 s, which we keep too.
    "discord": (PublishRate(5, 2), PublishRate(30, MINUTE)),
    # The plain webhook goes to a studio's own receiver (its owner sets a limit through
    # ``CALLSHEET_PUBLISH_LIMITS`` if it needs one); the outbox is a local file.
    "webhook": (),
    "outbox": (),
}
