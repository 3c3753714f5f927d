"""Password guesses are limited: per person, and per address, across every API process.

Without a limit, a password can be guessed at the API's full speed. Failed sign-ins are counted
in moving windows (the ``limits`` library): ``PER_PERSON`` for one email, so nobody can work
through one person's password, and ``PER_ADDRESS`` for one client address, so nobody can try
one common password on everyone. A sign-in over either limit is refused with 429 and
``Retry-After`` before the password is even checked, so a guess past the limit learns nothing,
right or wrong. Successful sign-ins cost nothing.

The counts live where every API process sees them: the broker's Redis in production, this
process's memory on the embedded default (``scheduler.core.config.limits_storage``). They are
kept per database, so two Callsheets sharing one Redis never count each other's guesses.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from scheduler.core.config import Settings, limits_storage
from scheduler.core.errors import TooManyAttempts

#: Failed sign-ins one email may have in a window.
PER_PERSON = parse("5/15 minutes")
#: Failed sign-ins one client address may have in a window (a shared office, a proxy).
PER_ADDRESS = parse("30/15 minutes")


class SignInGuard:
    """Refuses sign-ins past their limits; counts the ones that failed."""

    def __init__(self, storage_uri: str, *, namespace: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._namespace = namespace

    @classmethod
    def for_settings(cls, settings: Settings) -> SignInGuard:
        database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
        return cls(limits_storage(settings.broker_url), namespace=f"sign-in:{database}")

    def _keys(self, email: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        return [(PER_PERSON, "person", email.strip().lower()), (PER_ADDRESS, "address", address)]

    def check(self, email: str, address: str) -> None:
        """Refuse (``TooManyAttempts``) while this email or this address is over its limit."""
        for item, kind, key in self._keys(email, address):
            if not self._limiter.test(item, self._namespace, kind, key):
                reset = self._limiter.get_window_stats(item, self._namespace, kind, key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise TooManyAttempts(
                    f"too many failed sign-ins for this {kind}; try again in {wait} s", wait
                )

    def failed(self, email: str, address: str) -> None:
        """Count a failed sign-in against the email and the address."""
        for item, kind, key in self._keys(email, address):
            self._limiter.hit(item, self._namespace, kind, key)
