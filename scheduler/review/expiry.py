"""Approvals that went stale go back to review instead of going out.

Two kinds, both checked inside the claim's own transaction (so nothing stale is ever sent):

- an approval older than the production's ``approval_max_age_days`` (30 by default): the
  world moved on since a producer said yes (a cast change, a recall, a campaign rethink);
- an approval given after the delivery's due time had passed (plus ``GRACE``): the post sat
  waiting for review, and sending it now would send it late, unplanned.

The post returns to ``in_review`` with a note saying why, and every unsent delivery bound to
that approval goes back to ``pending``: a producer looks again and picks a time.

Going back to review starts a new review round, so the post's ``version`` moves though nothing
was edited. Votes (``Vote``, one per person per step per version) count only for the version
they name; without the bump the producer who gave the stale approval could never approve again
("you approved step 'producer' of this version already"). The bump keeps the earlier votes
for the record and needs no new column (a round counter on votes would need a migration and a
second notion of "what the reviewer saw"). It has the meaning of an edit for everything that
names a version: an approve form showing the old version answers 409, and a talent sign-off,
bound to a version, must be asked again, as after an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlmodel import SQLModel

from scheduler.core.models import UNSENT, DeliveryStatus, PostStatus, utcnow
from scheduler.events.record import record_event

#: An approval this soon after the due time still counts (a producer approving at 18:01).
GRACE = timedelta(minutes=15)

_delivery = SQLModel.metadata.tables["delivery"]
_approval = SQLModel.metadata.tables["approval"]
_post = SQLModel.metadata.tables["post"]
_production = SQLModel.metadata.tables["production"]


def return_stale(
    conn: Connection, ids: Sequence[int], *, now: datetime, actor: str = "scheduler"
) -> set[int]:
    """Of the just-claimed ``ids``, send back those whose approval went stale; return them."""
    if not ids:
        return set()
    d, a, p, prod = _delivery.c, _approval.c, _post.c, _production.c
    rows = conn.execute(
        select(d.id, d.due_at, a.id.label("approval_id"), a.approved_at, a.post_id)
        .add_columns(prod.approval_max_age_days)
        .join(_approval, a.id == d.approval_id)
        .join(_post, p.id == d.post_id)
        .join(_production, prod.id == p.production_id)
        .where(d.id.in_(list(ids)))
    ).all()
    stale: dict[int, tuple[int, str]] = {}  # approval id -> (post id, why)
    for row in rows:
        why = _why_stale(row.approved_at, row.due_at, row.approval_max_age_days, now)
        if why is not None:
            stale.setdefault(row.approval_id, (row.post_id, why))
    returned: set[int] = set()
    for approval_id, (post_id, why) in stale.items():
        unbound = conn.execute(
            update(_delivery)
            .where(
                d.approval_id == approval_id,
                d.status.in_([s.value for s in UNSENT] + [DeliveryStatus.claimed.value]),
            )
            .values(
                status=DeliveryStatus.pending.value,
                approval_id=None,
                held_for=None,
                lease_owner=None,
                lease_until=None,
                last_error=why,
                updated_at=utcnow(),
            )
            .returning(d.id)
        ).scalars()
        returned.update(unbound)
        conn.execute(
            update(_post)
            .where(p.id == post_id, p.status == PostStatus.approved.value)
            .values(
                status=PostStatus.in_review.value,
                version=p.version + 1,  # a new review round: see the module's docstring
                review_note=why,
                updated_at=utcnow(),
            )
        )
        record_event(
            conn,
            actor=actor,
            action="post.approval_expired",
            entity="post",
            entity_id=post_id,
            before={"status": PostStatus.approved.value, "approval_id": approval_id},
            after={"status": PostStatus.in_review.value},
            reason=why,
        )
    return returned & set(ids)


def _why_stale(
    approved_at: datetime, due_at: datetime, max_age_days: int, now: datetime
) -> str | None:
    if approved_at < now - timedelta(days=max_age_days):
        return (
            f"the approval is older than the production's limit of {max_age_days} days; "
            "it needs a fresh look"
        )
    if approved_at > due_at + GRACE:
        return (
            "it was approved after its due time had passed; choose a new time so it does not "
            "go out late"
        )
    return None
