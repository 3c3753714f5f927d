"""Each account's publishing budget, spent at claim time, counted where every scheduler sees it.

A delivery over its account's budget is simply not claimed: it never reaches a worker, so a
throttled account's backlog holds no worker slot, and it keeps its due time (which its approved
text may print). The budgets are the platforms' documented limits
(``platforms.adapters.rates``), or ``publish_limits`` from the settings, kept as moving windows
by the ``limits`` library: on the broker's Redis when there is one, so every scheduler spends
from the same budget; in this process's memory on the embedded default (one scheduler). Keys
are namespaced by the queue name, which names one deployment, so two deployments (or two test
runs) sharing a Redis never count each other's posts.

An account found out of budget *rests* until its window frees a slot: the claim leaves all its
deliveries out of the statement until then, so a big throttled backlog, oldest due first,
never fills the claims other accounts are waiting for. Windows are machine time: the platform
counts real seconds, whatever the schedule's clock does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from platforms.adapters.registry import publish_rates_for
from scheduler.core.config import Settings, limits_storage
from scheduler.core.metrics import RATE_LIMIT_WAITS

log = logging.getLogger(__name__)


class Throttle:
    """Admits deliveries while their account has budget; remembers which accounts rest."""

    def __init__(
        self,
        storage_uri: str,
        *,
        namespace: str,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._namespace = namespace
        self._items: dict[str, list[RateLimitItem]] = {
            platform: [] if rate.strip().lower() == "none" else parse_many(rate)
            for platform, rate in (overrides or {}).items()
        }
        #: Account id → the machine time (epoch seconds) its budget frees a slot again.
        self._resting: dict[int, float] = {}

    @classmethod
    def for_settings(cls, settings: Settings) -> Throttle:
        return cls(
            limits_storage(settings.broker_url),
            namespace=settings.queue_name,
            overrides=settings.publish_limits,
        )

    def limits_for(self, platform: str) -> list[RateLimitItem]:
        """The windows one account of ``platform`` must fit in (none: not paced)."""
        if platform not in self._items:
            self._items[platform] = [
                RateLimitItemPerSecond(rate.posts, rate.seconds)
                for rate in publish_rates_for(platform)
            ]
        return self._items[platform]

    def resting(self) -> list[int]:
        """Accounts known to be out of budget now; their deliveries are not worth selecting."""
        now = time.time()
        for account, until in list(self._resting.items()):
            if until <= now:
                del self._resting[account]
        return list(self._resting)

    def admit(self, account_id: int, platform: str) -> bool:
        """Spend one unit of the account's budget if every window has room; else rest it.

        Every window is tested before any is spent, so a refusal spends nothing.
        """
        items = self.limits_for(platform)
        if not items:
            return True
        if account_id in self._resting:
            return False
        key = (self._namespace, "account", str(account_id))
        full = [item for item in items if not self._limiter.test(item, *key)]
        if not full:
            # Another scheduler may spend the last unit between test and hit: hit decides.
            full = [item for item in items if not self._limiter.hit(item, *key)]
        if not full:
            return True
        until = max(self._limiter.get_window_stats(item, *key).reset_time for item in full)
        self._resting[account_id] = until
        RATE_LIMIT_WAITS.labels(platform).inc()
        log.info(
            "account %s (%s) is out of publishing budget for %.1f s",
            account_id,
            platform,
            until - time.time(),
        )
        return False
