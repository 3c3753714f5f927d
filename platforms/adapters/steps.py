"""What one delivery has already done on a platform, kept in its ``Progress``, tied to its content.

Multi-step flows (Instagram and Threads containers, Facebook's unpublished photos, LinkedIn's
uploads, the parts of a thread) save each step as soon as it succeeds, so a retry resumes instead
of posting twice. A step is only valid for the content it was made for: a container holds the
caption it was created with, so if the delivery's text changed and was approved again, resuming
with the old container would publish what is no longer approved. Every save therefore records
the idempotency key (which includes the content hash), and steps saved under another key are
ignored and cleared at the next save.

``first_sent_at`` is when a request that could create the post first left: a lookup only has to
search the account's posts from then on, which is what makes a content match trustworthy.

X and Mastodon keep a thread's parts in progress without ``Steps`` (under ``key``, since before
it existed, and deliveries in flight hold that shape); they note their first send as
``sent_at`` with ``mark_sent``, and their lookups read it back with ``sent_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from platforms.adapters.base import PublishRequest, aware

#: The progress field naming the content the other fields belong to.
CONTENT_KEY = "content_key"
#: The progress field with the first time a creating request was sent (ISO 8601, UTC).
FIRST_SENT_AT = "first_sent_at"
#: The same for X and Mastodon, which keep their progress without ``Steps``.
SENT_AT = "sent_at"


class Steps:
    """A delivery's saved steps for the content being published now."""

    def __init__(self, request: PublishRequest) -> None:
        self._progress = request.progress
        self._key = request.idempotency_key
        state: Mapping[str, Any] = request.progress.state
        if state.get(CONTENT_KEY) == self._key:
            self._state = dict(state)
            self._stale: list[str] = []
        else:
            self._state = {}
            self._stale = [name for name in state if name != CONTENT_KEY]

    def get(self, name: str) -> Any:
        """A step saved for this content, or ``None``."""
        return self._state.get(name)

    def save(self, **changes: Any) -> None:
        """Record steps now (written through to the delivery before this returns)."""
        cleared = {name: None for name in self._stale if name not in changes}
        self._progress.save(**cleared, **changes, **{CONTENT_KEY: self._key})
        self._stale = []
        self._state.update(changes)

    def sending(self, now: datetime | None = None) -> None:
        """Note that a request which may create the post is about to leave (first time only)."""
        if self.first_sent_at() is None:
            self.save(**{FIRST_SENT_AT: (now or datetime.now(UTC)).astimezone(UTC).isoformat()})

    def first_sent_at(self) -> datetime | None:
        value = self.get(FIRST_SENT_AT)
        if not isinstance(value, str):
            return None
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    def search_from(self, *, window: timedelta, skew: timedelta) -> datetime:
        """Where a lookup starts: the first send (less the clock skew allowed), else ``window`` ago.

        Without a recorded send (progress not kept), the lookup falls back to a fixed window; a
        post older than that is not found, which the adapters' docstrings say.
        """
        sent = self.first_sent_at()
        if sent is not None:
            return sent - skew
        return datetime.now(UTC) - window


def mark_sent(request: PublishRequest) -> None:
    """Note, the first time only, that a part of an X or Mastodon thread is about to leave."""
    if SENT_AT not in request.progress.state:
        request.progress.save(**{SENT_AT: datetime.now(UTC).isoformat()})


def sent_at(request: PublishRequest, *, window: timedelta) -> datetime:
    """When ``mark_sent`` noted the first send; ``window`` ago when it did not (or unreadably)."""
    recorded = request.progress.state.get(SENT_AT)
    if isinstance(recorded, str):
        try:
            return aware(datetime.fromisoformat(recorded))
        except ValueError:
            pass
    return datetime.now(UTC) - window
