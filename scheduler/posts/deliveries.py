"""What a person does with one delivery: release a hold, cancel it before it goes out, say
what became of one whose outcome is unknown, or retry one that failed.

Each reads the delivery locked (``_locked``) and decides from what it reads there, never from
a copy read earlier in the request: a worker may publish it, or another person cancel it, in
between, and a decision taken on the old state would put a published delivery back on the
schedule (sending it twice) or a cancelled one back out.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderError
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.models import (
    UNSENT,
    Account,
    Approval,
    Delivery,
    DeliveryStatus,
    HoldReason,
    Milestone,
    Post,
    PostStatus,
    Production,
    utcnow,
)
from scheduler.events.record import save_recorded

#: Holds a person cannot simply release, and what to do instead.
_NOT_BY_HAND = {
    HoldReason.content.value: "its text no longer matches the approval; approve the post again",
    HoldReason.tentative.value: "its milestone is tentative; confirm the milestone's date",
}


def _locked(session: Session, delivery_id: int) -> Delivery:
    """The delivery as it is now, locked until the transaction ends.

    ``populate_existing``: the route's access rule (or anything else in the request) may have
    read the delivery already; without it the session would hand back that earlier, possibly
    stale object even though the locking read saw the row's current state. On PostgreSQL the
    row lock keeps it so until commit; on SQLite ``BEGIN IMMEDIATE`` keeps every writer out.
    """
    query = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    delivery = session.exec(query.execution_options(populate_existing=True)).first()
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery


def release_hold(
    *, session: Session, delivery_id: int, due_at: datetime, actor: str, send_late: bool = False
) -> Delivery:
    """Put a held delivery back on the schedule at ``due_at`` (a past time means now).

    Gates still apply when it is claimed: an embargo or pause that is still on holds it again,
    and so does its latest useful time (``scheduler.planning.lateness``), unless the person
    says ``send_late``. A late hold needs it said: releasing it means sending it late.
    """
    delivery = _locked(session, delivery_id)
    if delivery.status != DeliveryStatus.held:
        raise Conflict(f"status: delivery {delivery_id} is {delivery.status}, not held")
    if delivery.held_for in _NOT_BY_HAND:
        raise Conflict(f"held_for: {_NOT_BY_HAND[delivery.held_for]}")
    if delivery.held_for == HoldReason.late and not send_late:
        raise Conflict(
            f"send_late: delivery {delivery_id} is past its latest useful time "
            f"({delivery.last_error}); release it with send_late: true to send it anyway, "
            "or cancel it"
        )
    if delivery.approval_id is None:
        raise Conflict("approval: the post is not approved")
    before = {
        "status": delivery.status,
        "held_for": delivery.held_for,
        "due_at": delivery.due_at.isoformat(),
    }
    delivery.status = DeliveryStatus.scheduled.value
    delivery.held_for = None
    delivery.last_error = None
    delivery.due_at = due_at
    delivery.send_late = delivery.send_late or send_late
    delivery.updated_at = utcnow()
    save_recorded(
        session,
        delivery,
        actor=actor,
        action="delivery.released",
        before=before,
        after={
            "status": delivery.status,
            "due_at": due_at.isoformat(),
            "send_late": delivery.send_late,
        },
    )
    return delivery


def resolve_unknown(
    *,
    session: Session,
    delivery_id: int,
    published: bool,
    url: str | None,
    now: datetime,
    actor: str,
    reason: str,
) -> Delivery:
    """Settle an ``unknown`` delivery from what a person saw on the platform.

    Found: it is ``published`` (with the link, if given). Not found: it is ``scheduled`` for
    now, without a lookup, because a person has just looked. Either way the person's word is
    audited with their reason.
    """
    delivery = _locked(session, delivery_id)
    if delivery.status != DeliveryStatus.unknown:
        raise Conflict(f"status: delivery {delivery_id} is {delivery.status}, not unknown")
    before = {"status": delivery.status, "error": delivery.last_error}
    if published:
        delivery.status = DeliveryStatus.published.value
        delivery.external_url = url
        delivery.external_id = delivery.external_id or f"confirmed by {actor}"[:200]
        delivery.published_at = now
    else:
        delivery.status = DeliveryStatus.scheduled.value
        delivery.due_at = now
    delivery.needs_lookup = False
    delivery.lease_owner = delivery.lease_until = None
    delivery.last_error = None
    delivery.updated_at = utcnow()
    save_recorded(
        session,
        delivery,
        actor=actor,
        action="delivery.resolved",
        before=before,
        after={"status": delivery.status, "url": url},
        reason=reason,
    )
    return delivery


def cancel(*, session: Session, delivery_id: int, actor: str, reason: str) -> Delivery:
    """Cancel a delivery that has not gone out; one that is going out now cannot be."""
    delivery = _locked(session, delivery_id)
    if delivery.status not in UNSENT:
        raise Conflict(
            f"status: delivery {delivery_id} is {delivery.status}; "
            "only deliveries that have not gone out can be cancelled"
        )
    before = {"status": delivery.status}
    delivery.status = DeliveryStatus.cancelled.value
    delivery.updated_at = utcnow()
    save_recorded(
        session,
        delivery,
        actor=actor,
        action="delivery.cancelled",
        before=before,
        after={"status": delivery.status},
        reason=reason,
    )
    return delivery


def retry_failed(
    *,
    session: Session,
    delivery_id: int,
    now: datetime,
    actor: str,
    reason: str | None,
    send_late: bool = False,
) -> Delivery:
    """Put a failed delivery back on the schedule, due ``now``, under the same approval.

    A platform's refusal is often fixed outside the post (an account setting, a permission),
    so the delivery itself goes again rather than a copy: the same id and content give the
    worker the same idempotency key (``callsheet-{delivery}-{hash}``), and the platforms that
    honour one never show the post twice. It goes only if its approval still binds what would
    go out now (``_still_approved``); otherwise 409, and the post needs approving again.

    Its attempts start again from zero: a failure after the last transient retry would
    otherwise fail again at the first hiccup, and a person has just decided it deserves the
    full budget. The attempts it had, and its last error, are kept in the audit event.
    Progress the platform confirmed (``platform_state``) is kept, so a half-posted thread
    resumes instead of starting over. Past its latest useful time it is held late at its
    claim, like any release, unless ``send_late`` says a person wants it out anyway.
    """
    delivery = _locked(session, delivery_id)
    if delivery.status != DeliveryStatus.failed:
        raise Conflict(f"status: delivery {delivery_id} is {delivery.status}, not failed")
    _still_approved(session, delivery)
    before = {
        "status": delivery.status,
        "attempt": delivery.attempt,
        "error": delivery.last_error,
        "due_at": delivery.due_at.isoformat(),
    }
    delivery.status = DeliveryStatus.scheduled.value
    delivery.due_at = now
    delivery.send_late = delivery.send_late or send_late
    delivery.attempt = 0
    delivery.lease_owner = delivery.lease_until = None
    delivery.held_for = None
    delivery.needs_lookup = False
    delivery.last_error = None
    delivery.updated_at = utcnow()
    save_recorded(
        session,
        delivery,
        actor=actor,
        action="delivery.retried",
        before=before,
        after={
            "status": delivery.status,
            "due_at": now.isoformat(),
            "attempt": 0,
            "send_late": delivery.send_late,
        },
        reason=reason,
    )
    return delivery


def _still_approved(session: Session, delivery: Delivery) -> None:
    """Refuse (409, naming ``approval``) unless the delivery's approval binds what would go out.

    An edit unbinds only unsent deliveries, so a failed one keeps the approval of the version
    it failed with; that approval must still be the post's (same version, post approved), and
    the text rendered now (for its planned time, which a retry does not move) must hash as
    approved. The worker checks the
    hash again before it publishes.
    """
    approval = session.get(Approval, delivery.approval_id or 0)
    post = session.get(Post, delivery.post_id)
    if approval is None or post is None:
        raise Conflict("approval: the delivery is not approved; approve the post again")
    if post.status != PostStatus.approved or approval.post_version != post.version:
        raise Conflict(
            f"approval: post {post.id} changed since this delivery was approved "
            f"(version {approval.post_version}, now {post.version}, {post.status}); "
            "approve the post again"
        )
    production = session.get(Production, post.production_id)
    account = session.get(Account, delivery.account_id)
    milestone = session.get(Milestone, post.anchor_milestone_id or 0)
    assert production is not None  # foreign key
    assert account is not None  # foreign key
    if account.removed_at is not None:
        raise Conflict(f"account: account {account.id} was removed; nothing goes out on it")
    try:
        rendered = render_delivery(
            production=production,
            milestone=milestone,
            account=account,
            post=post,
            due_at=delivery.planned_at,
        )
    except RenderError as exc:
        raise Conflict(f"approval: the post no longer renders ({exc.message})") from None
    if approval.delivery_hashes.get(str(delivery.id)) != content_hash(rendered, account):
        raise Conflict(
            "approval: what would go out now differs from what was approved; approve the post again"
        )
