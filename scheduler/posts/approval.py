"""A post's way through review: submit, reject, approve.

Each takes the version the reviewer saw (409 if it changed). Approval also takes what the
reviewer was shown of each delivery (``shown``: text, media, due time; 409 naming what changed),
binds the hash of each unsent delivery's rendered output (``preview``) in an ``Approval``, with
a note for each medium bound by URL only, and schedules those deliveries, or holds them while
their milestone is tentative. What must come first, the chain, the checklist and talent
sign-off, is ``scheduler.review``'s.

Apart from ``lifecycle`` because these transitions never change what a post says: they check
its version and move its status, and an edit (``lifecycle.edit_post``) undoes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, Invalid
from scheduler.core.models import (
    UNSENT,
    Approval,
    Delivery,
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
from scheduler.posts.preview import Rendered, render_deliveries
from scheduler.posts.shown import Shown


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
    *,
    session: Session,
    post_id: int,
    version: int,
    actor: str,
    shown: Mapping[int, str] | None,
    note: str | None = None,
) -> Approval:
    """Approve the version the reviewer saw, binding each unsent delivery's exact output.

    ``shown`` is what the reviewer was shown of each delivery (the preview's ``shown``): if any
    unsent delivery renders differently now, nothing is approved (409, naming the post, the
    delivery and what changed). The API always requires it; ``None`` is for callers that
    approve what they render themselves, in the same transaction (a playbook, the demo).
    """
    post = _reviewable(session, post_id, version, PostStatus.in_review)
    unsent = {
        d.id: d
        for d in deliveries_of(session=session, post_id=post_id, lock=True)
        if d.status in UNSENT
    }
    rendered = [r for r in render_deliveries(session=session, post=post) if r.delivery.id in unsent]
    if shown is not None:
        expect_shown(post_id, rendered, shown)
    hashes = {str(r.delivery.id): r.content_hash for r in rendered}
    check_approval(session=session, post=post, deliveries=list(unsent.values()))
    approval = Approval(
        post_id=post_id,
        post_version=post.version,
        approved_by=actor,
        delivery_hashes=hashes,
        media_notes=sorted({n for r in rendered for n in r.media_notes}),
        note=note,
    )
    session.add(approval)
    session.flush()
    milestone = session.get(Milestone, post.anchor_milestone_id or 0)
    tentative = milestone if milestone is not None and milestone.tentative else None
    for delivery_id in hashes:
        delivery = unsent[int(delivery_id)]
        delivery.approval_id = approval.id
        delivery.send_late = False  # a new approval: sending late is decided anew
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


def check_shown(*, session: Session, post: Post, shown: Mapping[int, str]) -> None:
    """``expect_shown`` for a vote that does not finish the chain: it binds nothing, but a
    person still approves only what they were shown."""
    unsent = {
        d.id for d in deliveries_of(session=session, post_id=post.id or 0) if d.status in UNSENT
    }
    rendered = render_deliveries(session=session, post=post)
    expect_shown(post.id or 0, [r for r in rendered if r.delivery.id in unsent], shown)


def expect_shown(post_id: int, rendered: Sequence[Rendered], shown: Mapping[int, str]) -> None:
    """Refuse unless each delivery renders as it was shown: 422 naming ``shown.<id>`` for a
    delivery left out (or a value no preview gave), 409 naming every delivery that changed."""
    changed = []
    for item in rendered:
        field = f"shown.{item.delivery.id}"
        seen = shown.get(item.delivery.id or 0)
        if seen is None:
            raise Invalid(field, f"say what was shown of delivery {item.delivery.id}")
        differences = Shown.parse(seen, field=field).changes(item.shown)
        if differences:
            account = f"{item.account.platform} {item.account.handle}"
            changed.append(
                f"delivery {item.delivery.id} ({account}) changed: {', '.join(differences)}"
            )
    if changed:
        raise Conflict(
            f"shown: post {post_id} renders differently from what was shown; preview it again "
            f"and approve what it says now: {'; '.join(changed)}"
        )


def expect_deliveries_of(
    session: Session, post_ids: Iterable[int], shown: Mapping[int, str]
) -> None:
    """422 naming ``shown.<id>`` for a value about a delivery of none of ``post_ids``."""
    wanted = list(post_ids)
    known = set(session.exec(select(Delivery.id).where(col(Delivery.post_id).in_(wanted))).all())
    for delivery_id in sorted(shown):
        if delivery_id not in known:
            posts = ", ".join(str(p) for p in wanted)
            raise Invalid(f"shown.{delivery_id}", f"not a delivery of the posts approved ({posts})")
