"""Blackouts and quiet hours: times nothing goes out, and where a due time moves instead.

A due time inside a blackout (a production's, or everyone's) moves to the blackout's end; one
inside an account's quiet hours (read in its audience's timezone; "23:00-07:00" crosses
midnight) moves to their end. Moving out of one window can land in another, so the rule is
applied until the time is clear. Every move carries its reason, which the delivery keeps in
``schedule_note`` so a person sees why 23:30 became 07:00.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, or_, select

from scheduler.core.errors import Invalid, NotFound
from scheduler.core.models import Account, Blackout, Production
from scheduler.events.record import change_recorded, delete_recorded, save_recorded
from scheduler.planning.schemas import BlackoutCreate, BlackoutUpdate
from scheduler.planning.timeline import local_to_utc, zone

#: More moves than this means the windows leave no gap (say, quiet hours all day).
MAX_MOVES = 50


@dataclass(frozen=True)
class Window:
    """A blackout: [starts_at, ends_at) in UTC, and why."""

    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class QuietHours:
    """An account's daily quiet hours in its audience's timezone."""

    start: time
    end: time
    timezone: str

    @classmethod
    def of(cls, account: Account, production: Production) -> QuietHours | None:
        if account.quiet_start is None or account.quiet_end is None:
            return None
        return cls(
            start=account.quiet_start,
            end=account.quiet_end,
            timezone=account.audience_timezone or production.timezone,
        )

    def end_of_quiet(self, moment: datetime) -> datetime | None:
        """When the quiet period containing ``moment`` ends, or None if it is not quiet."""
        tz = zone(self.timezone)
        local = moment.astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            quiet = self.start <= clock < self.end
            day = local.date()
        else:  # crosses midnight: quiet late at night and early in the morning
            quiet = clock >= self.start or clock < self.end
            day = local.date() + timedelta(days=1) if clock >= self.start else local.date()
        return local_to_utc(day, self.end, tz) if quiet else None

    def describe(self) -> str:
        return f"quiet hours {self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


def first_allowed(
    due: datetime, *, blackouts: Sequence[Window], quiet: QuietHours | None
) -> tuple[datetime, str | None]:
    """The first instant at or after ``due`` outside every window, and why it moved."""
    reasons: list[str] = []
    moment = due
    for _ in range(MAX_MOVES):
        moved = False
        for window in blackouts:
            if window.starts_at <= moment < window.ends_at:
                moment, moved = window.ends_at, True
                reasons.append(f"blackout: {window.reason}")
        end = quiet.end_of_quiet(moment) if quiet else None
        if end is not None and quiet is not None:
            moment, moved = end, True
            reasons.append(quiet.describe())
        if not moved:
            break
    else:
        raise Invalid("quiet_start", "blackouts and quiet hours leave no time to post")
    if not reasons:
        return due, None
    unique = list(dict.fromkeys(reasons))
    return moment, f"moved from {due:%Y-%m-%d %H:%M} UTC: {'; '.join(unique)}"


def blackouts_for(session: Session, production_id: int) -> list[Window]:
    """The production's blackouts and the global ones."""
    rows = session.exec(
        select(Blackout).where(
            or_(col(Blackout.production_id).is_(None), Blackout.production_id == production_id)
        )
    )
    return [Window(starts_at=b.starts_at, ends_at=b.ends_at, reason=b.reason) for b in rows]


def add_blackout(*, session: Session, data: BlackoutCreate, actor: str) -> Blackout:
    """Add a blackout; it shapes due times planned or moved from now on."""
    if data.ends_at <= data.starts_at:
        raise Invalid("ends_at", "a blackout must end after it starts")
    if data.production_id is not None and session.get(Production, data.production_id) is None:
        raise Invalid("production_id", f"no production with id {data.production_id}")
    row = Blackout(
        production_id=data.production_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
        created_by=actor,
    )
    save_recorded(
        session, row, actor=actor, action="blackout.created", after=data.model_dump(mode="json")
    )
    return row


def get_blackout(*, session: Session, blackout_id: int) -> Blackout:
    row = session.get(Blackout, blackout_id)
    if row is None:
        raise NotFound("blackout", blackout_id)
    return row


def change_blackout(
    *, session: Session, blackout_id: int, data: BlackoutUpdate, actor: str
) -> Blackout:
    """Change a blackout's window or reason. The claim reads blackouts as they are, so the new
    window counts from the next tick; due times planned around the old one stay where they
    are (each says why in its schedule note)."""
    row = get_blackout(session=session, blackout_id=blackout_id)
    given = data.model_dump(exclude_unset=True)
    starts_at = given.get("starts_at") or row.starts_at
    if (given.get("ends_at") or row.ends_at) <= starts_at:
        raise Invalid("ends_at", "a blackout must end after it starts")
    change_recorded(session, row, given, actor=actor, action="blackout.changed")
    return row


def remove_blackout(*, session: Session, blackout_id: int, actor: str) -> None:
    """End a blackout for good; what it kept from being claimed goes out from the next tick."""
    row = get_blackout(session=session, blackout_id=blackout_id)
    delete_recorded(session, row, actor=actor, action="blackout.removed")
