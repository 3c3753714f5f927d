"""A post's latest useful time, and holding what is released after it.

"Tomorrow: the premiere" is worse than nothing once the premiere has passed. A pause resumed,
an account reconnected, a worker fleet back after an outage: each releases deliveries at their
old due times, however long ago. So every delivery has a latest useful time, from its
post's own ``latest_at``, or else its production's policy (``LatePolicy``):

- ``grace`` (the default): its due time plus ``late_grace_minutes`` (120);
- ``milestone``: that, and never after its anchor milestone when it was due before it (a
  countdown); posts due after their milestone keep the grace.

Checked at claim time, inside the claim's transaction, like embargoes: every way back onto
the schedule (a resume, a reconnect, a reaped claim, a worker's hand-back) passes the claim, so
no path can send late. A late delivery is ``held`` (``HoldReason.late``) with a reason a person
can read, and audited. A person may still send it: releasing it with ``send_late`` marks the
delivery, and the gate lets a marked delivery go. A delivery waiting for a platform lookup is
not held: its post may already be out, and the lookup settles that first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlmodel import SQLModel

from scheduler.core.models import HoldReason, LatePolicy
from scheduler.planning.holds import hold_claimed
from scheduler.planning.timeline import zone

_delivery = SQLModel.metadata.tables["delivery"]
_post = SQLModel.metadata.tables["post"]
_production = SQLModel.metadata.tables["production"]
_milestone = SQLModel.metadata.tables["milestone"]


@dataclass(frozen=True)
class Latest:
    """When a delivery stops being worth sending: its grace ends, or its milestone comes."""

    at: datetime
    grace_minutes: int
    milestone: str | None = None  # set when the milestone, not the grace, ends it
    own: bool = False  # the post's own ``latest_at``, not the production's policy


def latest_useful(
    *,
    due_at: datetime,
    policy: str,
    grace_minutes: int,
    milestone: tuple[str, datetime] | None,
    own: datetime | None = None,
) -> Latest:
    """The latest useful time of a delivery due at ``due_at``: the post's own (``own``), or
    else its production's policy."""
    if own is not None:
        return Latest(at=own, grace_minutes=grace_minutes, own=True)
    latest = Latest(at=due_at + timedelta(minutes=grace_minutes), grace_minutes=grace_minutes)
    if policy == LatePolicy.milestone and milestone is not None:
        name, at = milestone
        if due_at < at < latest.at:
            return Latest(at=at, grace_minutes=grace_minutes, milestone=name)
    return latest


def late_reason(*, due_at: datetime, now: datetime, latest: Latest, timezone: str) -> str:
    """Why a delivery released at ``now`` is held, in the production's local time."""
    tz = zone(timezone)

    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    if latest.own:
        after = f"after its latest useful time {local(latest.at)} (set on the post)"
    elif latest.milestone is not None:
        after = f"after its milestone '{latest.milestone}' ({local(latest.at)})"
    else:
        after = (
            f"after its latest useful time {local(latest.at)} (grace {_span(latest.grace_minutes)})"
        )
    return (
        f"due {local(due_at)}, released {local(now)}, {after}; "
        "release it with send_late to send it anyway"
    )


def hold_late(
    conn: Connection, ids: Sequence[int], *, now: datetime, actor: str = "scheduler"
) -> set[int]:
    """Inside a claim's transaction: hold the just-claimed deliveries past their latest useful
    time (unless a person chose to send them late); return their ids."""
    if not ids:
        return set()
    d, p, prod, m = _delivery.c, _post.c, _production.c, _milestone.c
    rows = conn.execute(
        select(
            d.id,
            d.planned_at,
            p.latest_at,
            prod.late_policy,
            prod.late_grace_minutes,
            prod.timezone,
            m.name,
            m.at,
        )
        .join(_post, p.id == d.post_id)
        .join(_production, prod.id == p.production_id)
        .outerjoin(_milestone, m.id == p.anchor_milestone_id)
        .where(d.id.in_(list(ids)), d.send_late.is_(False), d.needs_lookup.is_(False))
    ).all()
    held: dict[int, str] = {}
    for row in rows:
        latest = latest_useful(
            due_at=row.planned_at,
            policy=row.late_policy,
            grace_minutes=row.late_grace_minutes,
            milestone=(row.name, row.at) if row.at is not None else None,
            own=row.latest_at,
        )
        if now > latest.at:
            held[row.id] = late_reason(
                due_at=row.planned_at, now=now, latest=latest, timezone=row.timezone
            )
    return hold_claimed(conn, held, held_for=HoldReason.late, actor=actor)


def _span(minutes: int) -> str:
    """120 → "2 h", 90 → "90 min", 2880 → "2 days"."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"
