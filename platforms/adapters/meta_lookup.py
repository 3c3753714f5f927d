"""Reading a Meta account back: a delivery's post by its text, and when a quota frees a slot.

None of Facebook, Instagram and Threads has an idempotency key. Whether a delivery is already
out is answered from the account's own recent posts (a Graph listing, ``meta.GraphAPI.listing``):
text equality after normalisation, from the delivery's first send (``Steps``) on, less
``LOOKUP_SKEW``; ``LOOKUP_WINDOW`` back when no send was recorded. The same listings say when an
Instagram or Threads publishing quota frees its next slot.

Apart from ``meta`` because it is about what the account holds, not about talking to the API,
and apart from ``meta_adapter`` because only some of each adapter's work (lookups, quota waits)
needs it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from platforms.adapters.base import PlatformError
from platforms.adapters.meta import QUOTA_WAIT, GraphAPI, number

#: Ours: the widest a lookup searches when no first send was recorded.
LOOKUP_WINDOW = timedelta(days=7)
#: Ours: clock difference allowed between us and Meta when searching from the first send.
LOOKUP_SKEW = timedelta(minutes=10)


def normalized(text: str) -> str:
    """Text as compared for a lookup: NFC, ``\\n`` line ends, no outer whitespace."""
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()


def same_text(found: Any, sent: str) -> bool:
    return isinstance(found, str) and normalized(found) == normalized(sent)


def parse_time(value: Any) -> datetime | None:
    """Meta's ``2026-10-01T12:00:00+0000`` (or ISO 8601 with a colon), aware."""
    if not isinstance(value, str):
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def find_post(
    graph: GraphAPI,
    path: str,
    *,
    fields: str,
    text_field: str,
    time_field: str,
    text: str,
    since: datetime,
    also: Callable[[dict[str, Any]], bool] = lambda _item: True,
) -> dict[str, Any] | None:
    """The newest item of the edge at ``path`` since ``since`` whose text is ``text``."""
    for item in graph.listing(path, fields=fields, since=since):
        when = parse_time(item.get(time_field))
        if when is not None and when < since:
            return None
        if same_text(item.get(text_field), text) and also(item):
            return item
    return None


def quota_wait(timestamps: Iterable[datetime], *, duration: float, now: datetime) -> float:
    """When a rolling quota frees a slot: the oldest post in the window leaves it.

    The account's listing also holds posts made in the app, which do not count against the API
    quota, so this can only be later than the truth, never earlier: waiting too little would
    spend another attempt on a certain refusal.
    """
    window_start = now - timedelta(seconds=duration)
    inside = [when for when in timestamps if when >= window_start]
    if not inside:
        return QUOTA_WAIT
    frees = min(inside) + timedelta(seconds=duration)
    return max(60.0, (frees - now).total_seconds())


def quota_wait_at(graph: GraphAPI, path: str, *, duration: float) -> float:
    """``quota_wait`` for the posts (or replies) listed at ``path`` in the last ``duration``
    seconds; ``QUOTA_WAIT`` when the listing cannot be read."""
    now = datetime.now(UTC)
    try:
        listed = graph.listing(path, fields="timestamp", since=now - timedelta(seconds=duration))
        times = [when for item in listed if (when := parse_time(item.get("timestamp")))]
    except PlatformError:
        return QUOTA_WAIT
    return quota_wait(times, duration=duration, now=now)


def usage_exhausted(
    entry: Mapping[str, Any], usage: str, config: str, *, needed: int = 1
) -> tuple[bool, float]:
    """From a ``*_publishing_limit`` entry: whether ``needed`` more would pass the total, and
    the quota's window in seconds."""
    used = number(entry.get(usage))
    settings = entry.get(config)
    total = number(settings.get("quota_total")) if isinstance(settings, dict) else None
    duration = number(settings.get("quota_duration")) if isinstance(settings, dict) else None
    exhausted = used is not None and total is not None and used + needed > total
    return exhausted, float(duration or 86400)
