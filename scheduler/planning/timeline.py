"""Anchors to due times: "14 days before premiere, 18:00 local" becomes one UTC instant.

Offsets are ISO 8601 durations with a sign (``-P14D``, ``+PT2H``, ``P1W``). Their day part counts
*calendar days in the production's timezone* (so "-P14D" keeps the milestone's wall-clock time
across a daylight-saving change) and their time part counts exact hours. Months and years are
refused: they vary in length, and a campaign plan should say what it means in days.

The daylight-saving rule: a local time that does not exist (inside a spring-forward gap) moves
forward to the first valid instant after the gap starts; an ambiguous local time (inside an
autumn fold) takes its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.core.errors import Invalid

_DURATION = re.compile(
    r"^(?P<sign>[+-])?P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class TimelineError(Invalid):
    """A bad anchor, offset or timezone; ``field`` names the input at fault."""


@dataclass(frozen=True)
class Offset:
    """A signed offset: whole calendar days plus an exact duration."""

    sign: int
    days: int
    exact: timedelta

    @property
    def has_time(self) -> bool:
        return self.exact != timedelta(0)


def parse_offset(text: str, *, field: str = "anchor.offset") -> Offset:
    """Parse a signed ISO 8601 duration of weeks, days, hours, minutes and seconds."""
    cleaned = text.strip().upper()
    match = _DURATION.match(cleaned)
    if match is None:
        hint = ""
        if re.search(r"P[^T]*\d+[YM]", cleaned):
            hint = "; months and years vary in length, give days (P30D)"
        raise TimelineError(
            field, f"'{text}' is not an ISO 8601 duration such as -P14D or +PT2H{hint}"
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if k != "sign" and v}
    exact = timedelta(
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    )
    days = parts.get("weeks", 0) * 7 + parts.get("days", 0)
    if days > 3660 or exact > timedelta(days=3660):
        raise TimelineError(field, f"'{text}' is more than ten years")
    return Offset(sign=-1 if match["sign"] == "-" else 1, days=days, exact=exact)


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA timezone called ``name``, or a TimelineError naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimelineError(field, f"unknown timezone '{name}' (use an IANA name)") from None


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``day clock`` in ``tz``, by the daylight-saving rule."""
    wall = datetime.combine(day, clock.replace(tzinfo=None))
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first occurrence of an ambiguous time
    return _end_of_gap(wall, tz)


def _end_of_gap(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant whose wall-clock time is at or after ``wall`` (which is in a gap)."""
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # reads before the gap
    high = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)  # reads after the gap
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


@dataclass(frozen=True, kw_only=True)
class Anchor:
    """Where a post sits in time: a milestone with an offset and time of day, or an instant."""

    milestone_id: int | None = None
    offset: str | None = None
    local_time: time | None = None
    at: datetime | None = None

    def check(self) -> Offset | None:
        """Refuse contradictory anchors; return the parsed offset, if any."""
        if (self.milestone_id is None) == (self.at is None):
            raise TimelineError("anchor", "give either a milestone or an absolute time 'at'")
        if self.at is not None:
            if self.offset or self.local_time:
                raise TimelineError(
                    "anchor.at", "an absolute time takes no offset or local time of day"
                )
            if self.at.tzinfo is None:
                raise TimelineError(
                    "anchor.at", "give a timezone offset (e.g. 2027-03-01T18:00:00+00:00)"
                )
            return None
        offset = parse_offset(self.offset or "PT0S")
        if self.local_time is not None and offset.has_time:
            raise TimelineError(
                "anchor.local_time",
                "give a local time of day or an offset with hours, not both",
            )
        return offset


def due_at(anchor: Anchor, *, milestone_at: datetime | None, tz: ZoneInfo) -> datetime:
    """The UTC instant ``anchor`` names, given its milestone's time and the audience zone."""
    offset = anchor.check()
    if anchor.at is not None:
        return anchor.at.astimezone(UTC)
    if milestone_at is None or offset is None:
        raise TimelineError("anchor.milestone_id", "the milestone has no date")
    local = milestone_at.astimezone(tz)
    day = local.date() + timedelta(days=offset.sign * offset.days)
    clock = anchor.local_time or local.time()
    return local_to_utc(day, clock, tz) + offset.sign * offset.exact
