"""Moving a milestone moves every unsent post anchored to it, in one transaction.

Productions slip: when the premiere moves three weeks, each countdown, tease and interview
anchored to it is recomputed from its anchor (not shifted by the difference, so "18:00 local"
stays 18:00 local across a daylight-saving change). Rules, in order:

- In-flight deliveries (``claimed``, ``publishing``) and finished ones are never touched.
- A tentative milestone holds its anchored, approved deliveries (``held``, ``tentative``);
  confirming the date releases exactly those holds.
- A new due time already in the past follows the production's policy: ``hold`` (a person
  decides), ``send_now`` or ``skip`` (cancelled).
- Approvals survive a move when the production keeps them and the re-rendered text is the
  same; a template that prints the date renders differently, so that delivery (and its post)
  goes back to review. With ``keep_approvals_on_reflow`` off, every moved post goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from scheduler.audit import record_event
from scheduler.content import content_hash, render_delivery
from scheduler.errors import NotFound
from scheduler.models import (
    UNSENT,
    Account,
    Approval,
    Delivery,
    DeliveryStatus,
    HoldReason,
    Milestone,
    PastDuePolicy,
    Post,
    PostStatus,
    Production,
    utcnow,
)
from scheduler.posts import anchor_of
from scheduler.timeline import Anchor, due_at, zone
from workers.render import RenderError


@dataclass(frozen=True)
class Move:
    """One delivery's due time before and after, and what became of it."""

    delivery_id: int
    post_id: int
    old_due_at: datetime
    new_due_at: datetime
    status: str
    note: str | None


@dataclass
class _Plan:
    delivery: Delivery
    new_due: datetime
    status: str
    held_for: str | None
    unbind: bool
    note: str | None


def move_milestone(
    *,
    session: Session,
    production_id: int,
    milestone_id: int,
    at: datetime | None,
    tentative: bool | None,
    actor: str,
    now: datetime,
) -> list[Move]:
    """Change a milestone's date and/or tentativeness and reflow what hangs off it."""
    milestone = session.exec(
        select(Milestone).where(Milestone.id == milestone_id).with_for_update()
    ).first()
    if milestone is None or milestone.production_id != production_id:
        raise NotFound("milestone", milestone_id)
    production = session.get(Production, production_id)
    assert production is not None  # foreign key
    before = {"at": milestone.at.isoformat(), "tentative": milestone.tentative}
    if at is not None:
        milestone.at = at
    if tentative is not None:
        milestone.tentative = tentative
    session.add(milestone)
    plans = [
        plan
        for post in session.exec(select(Post).where(Post.anchor_milestone_id == milestone_id))
        for plan in _plan_post(session, production, milestone, post, now)
    ]
    moves = [
        Move(
            delivery_id=p.delivery.id or 0,
            post_id=p.delivery.post_id,
            old_due_at=p.delivery.due_at,
            new_due_at=p.new_due,
            status=p.status,
            note=p.note,
        )
        for p in plans
    ]
    _apply(session, plans)
    after = {"at": milestone.at.isoformat(), "tentative": milestone.tentative, "moved": len(moves)}
    record_event(
        session.connection(),
        actor=actor,
        action="milestone.moved",
        entity="milestone",
        entity_id=milestone_id,
        before=before,
        after=after,
    )
    return moves


def _plan_post(
    session: Session, production: Production, milestone: Milestone, post: Post, now: datetime
) -> list[_Plan]:
    anchor = anchor_of(post)
    spec = Anchor(milestone_id=milestone.id, offset=anchor.offset, local_time=anchor.local_time)
    new_due = due_at(spec, milestone_at=milestone.at, tz=zone(production.timezone))
    unsent = [
        d
        for d in session.exec(select(Delivery).where(Delivery.post_id == post.id))
        if d.status in UNSENT
    ]
    approval = None
    if unsent and unsent[0].approval_id is not None:
        approval = session.get(Approval, unsent[0].approval_id)
    return [
        _plan_delivery(session, production, milestone, post, d, new_due, approval, now)
        for d in unsent
    ]


def _plan_delivery(
    session: Session,
    production: Production,
    milestone: Milestone,
    post: Post,
    delivery: Delivery,
    new_due: datetime,
    approval: Approval | None,
    now: datetime,
) -> _Plan:
    plan = _Plan(
        delivery=delivery,
        new_due=new_due,
        status=delivery.status,
        held_for=delivery.held_for,
        unbind=False,
        note=None,
    )
    bound = delivery.approval_id is not None
    if bound and not _still_approved(
        session, production, milestone, post, delivery, new_due, approval
    ):
        plan.unbind, plan.status, plan.held_for = True, DeliveryStatus.pending.value, None
        plan.note = "the text changes with the date; it needs a new approval"
        bound = False
    if bound and delivery.held_for == HoldReason.tentative and not milestone.tentative:
        plan.status, plan.held_for = DeliveryStatus.scheduled.value, None
        plan.note = "milestone confirmed"
    if bound and milestone.tentative and plan.status != DeliveryStatus.held:
        plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.tentative.value
        plan.note = f"held: '{milestone.name}' is tentative"
    if new_due < now and plan.status != DeliveryStatus.pending:
        _past_due(plan, production, now)
    return plan


def _still_approved(
    session: Session,
    production: Production,
    milestone: Milestone,
    post: Post,
    delivery: Delivery,
    new_due: datetime,
    approval: Approval | None,
) -> bool:
    """Whether the approval still matches the text the delivery will render at its new time."""
    if not production.keep_approvals_on_reflow or approval is None:
        return False
    account = session.get(Account, delivery.account_id)
    assert account is not None  # foreign key
    try:
        rendered = render_delivery(
            production=production, milestone=milestone, account=account, post=post, due_at=new_due
        )
    except RenderError:
        return False
    return approval.delivery_hashes.get(str(delivery.id)) == content_hash(rendered, account)


def _past_due(plan: _Plan, production: Production, now: datetime) -> None:
    policy = PastDuePolicy(production.past_due_policy)
    if policy is PastDuePolicy.send_now:
        plan.new_due, plan.note = now, "moved into the past: sent now (production policy)"
    elif policy is PastDuePolicy.skip:
        plan.status, plan.held_for = DeliveryStatus.cancelled.value, None
        plan.note = "moved into the past: skipped (production policy)"
    else:
        plan.status, plan.held_for = DeliveryStatus.held.value, HoldReason.past_due.value
        plan.note = "moved into the past: held for a person to decide"


def _apply(session: Session, plans: list[_Plan]) -> None:
    """Write every planned change with one executemany; posts that lost approval go back."""
    if not plans:
        return
    session.flush()
    rows: list[dict[str, Any]] = []
    for p in plans:
        approval_id = None if p.unbind else p.delivery.approval_id
        rows.append(
            {
                "b_id": p.delivery.id,
                "b_due_at": p.new_due,
                "b_status": p.status,
                "b_held_for": p.held_for,
                "b_approval_id": approval_id,
                "b_note": p.note if p.status == DeliveryStatus.held else None,
                "b_updated_at": utcnow(),
            }
        )
    table = Delivery.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            due_at=bindparam("b_due_at"),
            status=bindparam("b_status"),
            held_for=bindparam("b_held_for"),
            approval_id=bindparam("b_approval_id"),
            last_error=bindparam("b_note"),
            updated_at=bindparam("b_updated_at"),
        )
    )
    session.connection().execute(statement, rows)
    back_to_review = {p.delivery.post_id for p in plans if p.unbind}
    for post in session.exec(select(Post).where(col(Post.id).in_(back_to_review))):
        if post.status == PostStatus.approved:
            post.status = PostStatus.in_review.value
            post.updated_at = utcnow()
            session.add(post)
    session.flush()
    session.expire_all()  # the deliveries changed under the ORM's feet
