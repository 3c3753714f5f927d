"""A post's way through review: submit, reject, approve.

Each takes the version the reviewer saw (409 if it changed). Approval binds the hash of each
unsent delivery's rendered output (``preview``) in an ``Approval`` and schedules those
deliveries, or holds them while their milestone is tentative. What must come first, the chain,
the checklist and talent sign-off, is ``scheduler.review``'s.

Apart from ``lifecycle`` because these transitions never change what a post says: they check
its version and move its status, and an edit (``lifecycle.edit_post``) undoes them.
"""

from __future__ import annotations

from sqlmodel import Session

from scheduler.core.errors import Conflict, Invalid
from scheduler.core.models import (
    UNSENT,
    Approval,
    DeliveryStatus,
    HoldReason,
    Milestone,
    Post,
    PostStatus,
    utcnow,
)
from scheduler.events.record import save_recorded
from scheduler.planning.embargoes import check_approval
from scheduler.posts.lifecycle import deliveries_of, expect_version, get_post
from scheduler.posts.preview import preview_post


def _reviewable(session: Session, post_id: int, version: int, *states: PostStatus) -> Post:
    """The post, locked, if it is still the version shown and in one of ``states``."""
    post = get_post(session=session, post_id=post_id, lock=True)
    expect_version(post, version)
    if post.status not in states:
        wanted = " or ".join(s.value for s in states)
        raise Conflict(f"status: post {post_id} is {post.status}; this needs it {wanted}")
    return post


def submit_post(*, session: Session, post_id: int, version: int, actor: str) -> Post:
    """Send a draft (or a rejected post) to review."""
    post = _reviewable(session, post_id, version, PostStatus.draft, PostStatus.rejected)
    return _move(session, post, PostStatus.in_review, actor=actor, action="post.submitted")


def reject_post(
    *, session: Session, post_id: int, version: int, actor: str, note: str | None
) -> Post:
    """Send a post under review back to its author with a note."""
    post = _reviewable(session, post_id, version, PostStatus.in_review)
    if not note:
        raise Invalid("note", "say why the post is rejected")
    post.review_note = note
    return _move(
        session, post, PostStatus.rejected, actor=actor, action="post.rejected", reason=note
    )


def _move(
    session: Session,
    post: Post,
    status: PostStatus,
    *,
    actor: str,
    action: str,
    reason: str | None = None,
) -> Post:
    before = post.status
    post.status = status.value
    post.updated_at = utcnow()
    save_recorded(
        session,
        post,
        actor=actor,
        action=action,
        before={"status": before},
        after={"status": status.value},
        reason=reason,
    )
    return post


def approve_post(
    *, session: Session, post_id: int, version: int, actor: str, note: str | None = None
) -> Approval:
    """Approve the version the reviewer saw, binding each unsent delivery's exact output."""
    post = _reviewable(session, post_id, version, PostStatus.in_review)
    previews = preview_post(session=session, post_id=post_id)
    unsent = {
        d.id: d
        for d in deliveries_of(session=session, post_id=post_id, lock=True)
        if d.status in UNSENT
    }
    hashes = {str(p.delivery_id): p.content_hash for p in previews if p.delivery_id in unsent}
    check_approval(session=session, post=post, deliveries=list(unsent.values()))
    approval = Approval(
        post_id=post_id,
        post_version=post.version,
        approved_by=actor,
        delivery_hashes=hashes,
        note=note,
    )
    session.add(approval)
    session.flush()
    milestone = session.get(Milestone, post.anchor_milestone_id or 0)
    tentative = milestone if milestone is not None and milestone.tentative else None
    for delivery_id in hashes:
        delivery = unsent[int(delivery_id)]
        delivery.approval_id = approval.id
        if tentative is not None:  # approved, but waits for the date to be confirmed
            delivery.status = DeliveryStatus.held.value
            delivery.held_for = HoldReason.tentative.value
            delivery.last_error = f"held: '{tentative.name}' is tentative"
        elif delivery.status == DeliveryStatus.pending:
            delivery.status = DeliveryStatus.scheduled.value
        delivery.updated_at = utcnow()
        session.add(delivery)
    _move(session, post, PostStatus.approved, actor=actor, action="post.approved", reason=note)
    return approval
