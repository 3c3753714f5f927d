"""Posts from draft to approved, and the deliveries they fan out to.

Rendering runs on every create and edit, so a template error, an undefined variable or a
platform's refusal is a 422 while a person is looking, not a failure at dispatch. The refusal is
the platform's whole verdict (``Adapter.check``: the text, and the media's kind, type, size,
proportions, length and count), and a preview shows the same verdict for every delivery.
Approval binds the hash of each delivery's rendered output; any later edit returns the post to
review and unbinds its unsent deliveries, so nothing unapproved can be claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from platforms.text import TextCheck
from scheduler.accounts.connections import build_account_adapter
from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderedPost, RenderError
from scheduler.core.errors import Conflict, Invalid, NotFound
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
    Talent,
    utcnow,
)
from scheduler.events.record import save_recorded
from scheduler.planning.embargoes import check_approval
from scheduler.planning.productions import get_production
from scheduler.planning.timeline import Anchor, due_at, zone
from scheduler.planning.windows import QuietHours, Window, blackouts_for, first_allowed
from scheduler.posts.schemas import (
    AnchorIn,
    DeliveryVerdict,
    PostCreate,
    PostEdit,
    RenderedDelivery,
)

IN_FLIGHT = (DeliveryStatus.claimed.value, DeliveryStatus.publishing.value)


@dataclass(frozen=True)
class Plan:
    """A post's anchor resolved: its milestone (if any), due time, and the windows that apply."""

    milestone: Milestone | None
    due_at: datetime
    production: Production
    blackouts: list[Window]

    def for_account(self, account: Account) -> tuple[datetime, str | None]:
        """The due time on ``account``, out of blackouts and its quiet hours, and why it moved."""
        quiet = QuietHours.of(account, self.production)
        return first_allowed(self.due_at, blackouts=self.blackouts, quiet=quiet)


def _plan(session: Session, production: Production, anchor: AnchorIn) -> Plan:
    milestone = None
    if anchor.milestone_id is not None:
        milestone = session.get(Milestone, anchor.milestone_id)
        if milestone is None or milestone.production_id != production.id:
            raise Invalid(
                "anchor.milestone_id",
                f"milestone {anchor.milestone_id} is not a milestone of this production",
            )
    spec = Anchor(
        milestone_id=anchor.milestone_id,
        offset=anchor.offset,
        local_time=anchor.local_time,
        at=anchor.at,
    )
    when = due_at(
        spec, milestone_at=milestone.at if milestone else None, tz=zone(production.timezone)
    )
    return Plan(
        milestone=milestone,
        due_at=when,
        production=production,
        blackouts=blackouts_for(session, production.id or 0),
    )


def _accounts(session: Session, ids: list[int]) -> list[Account]:
    if len(set(ids)) != len(ids):
        raise Invalid("account_ids", "an account is listed twice")
    found = {a.id: a for a in session.exec(select(Account).where(col(Account.id).in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid("account_ids", f"no account with id {', '.join(map(str, missing))}")
    return [found[i] for i in ids]


def _check_renders(post: Post, production: Production, plan: Plan, accounts: list[Account]) -> None:
    """Render for every account and ask each platform whether it would take the post.

    The first account whose platform refuses it makes a 422 naming the field to change:
    ``media`` for the post's images and videos, else ``body`` (or ``template``) for the text.
    """
    for account in accounts:
        try:
            rendered = render_delivery(
                production=production,
                milestone=plan.milestone,
                account=account,
                post=post,
                due_at=plan.due_at,
            )
        except RenderError as exc:
            raise Invalid(exc.field, exc.message) from None
        verdict = _verdict(account, rendered)
        if verdict.text_problems:
            raise Invalid(
                "body" if post.body else "template",
                f"{account.platform} {account.handle}: {' '.join(verdict.text_problems)}",
            )
        if verdict.media_problems:
            raise Invalid(
                "media", f"{account.platform} {account.handle}: {' '.join(verdict.media_problems)}"
            )


def _verdict(account: Account, rendered: RenderedPost) -> TextCheck:
    """The platform's verdict on one rendered delivery, through the account's adapter."""
    adapter = build_account_adapter(account)
    try:
        return adapter.check(rendered.text, rendered.media)
    finally:
        adapter.close()


def _set_anchor(post: Post, anchor: AnchorIn) -> None:
    post.anchor_milestone_id = anchor.milestone_id
    post.anchor_offset = anchor.offset
    post.anchor_local_time = anchor.local_time
    post.anchor_at = anchor.at


def anchor_of(post: Post) -> AnchorIn:
    return AnchorIn(
        milestone_id=post.anchor_milestone_id,
        offset=post.anchor_offset,
        local_time=post.anchor_local_time,
        at=post.anchor_at,
    )


def create_post(*, session: Session, data: PostCreate, actor: str) -> Post:
    """Create a draft post and one pending delivery per target account."""
    try:
        production = get_production(session=session, production_id=data.production_id)
    except NotFound:
        raise Invalid("production_id", f"no production with id {data.production_id}") from None
    plan = _plan(session, production, data.anchor)
    accounts = _accounts(session, data.account_ids)
    post = Post(
        production_id=production.id or 0,
        pillar=data.pillar.value,
        template=data.template,
        body=data.body,
        variables=data.variables,
        tags=data.tags,
        media=[medium.model_dump() for medium in data.media],
        featured=_featured(session, production.id or 0, data.featured),
        created_by=actor,
    )
    _set_anchor(post, data.anchor)
    _check_renders(post, production, plan, accounts)
    save_recorded(
        session, post, actor=actor, action="post.created", after=data.model_dump(mode="json")
    )
    for account in accounts:
        due, note = plan.for_account(account)
        session.add(
            Delivery(
                post_id=post.id or 0, account_id=account.id or 0, due_at=due, schedule_note=note
            )
        )
    session.flush()
    return post


def _featured(session: Session, production_id: int, talent_ids: list[int]) -> list[int]:
    """The talent a post features: people of its own production, each once."""
    for index, talent_id in enumerate(talent_ids):
        talent = session.get(Talent, talent_id)
        if talent is None or talent.production_id != production_id:
            raise Invalid(f"featured.{index}", f"no talent {talent_id} in this production")
    return list(dict.fromkeys(talent_ids))


def get_post(*, session: Session, post_id: int, lock: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    post = session.exec(query.with_for_update() if lock else query).first()
    if post is None:
        raise NotFound("post", post_id)
    return post


def deliveries_of(*, session: Session, post_id: int) -> list[Delivery]:
    query = select(Delivery).where(Delivery.post_id == post_id).order_by(col(Delivery.id))
    return list(session.exec(query))


def _expect_version(post: Post, version: int) -> None:
    if post.version != version:
        raise Conflict(
            f"version: post {post.id} is at version {post.version}, not {version}; "
            "it changed since it was shown — reload and look again"
        )


def edit_post(*, session: Session, post_id: int, data: PostEdit, actor: str) -> Post:
    """Change a post; content changes send it back to review and unbind its approval."""
    post = get_post(session=session, post_id=post_id, lock=True)
    _expect_version(post, data.version)
    deliveries = deliveries_of(session=session, post_id=post_id)
    if any(d.status in IN_FLIGHT for d in deliveries):
        raise Conflict("post: a delivery of this post is going out right now; edit it after")
    before = _snapshot(post)
    if data.featured is not None:
        _featured(session, post.production_id, data.featured)
    changes = data.model_dump(exclude_unset=True, exclude={"version", "anchor", "account_ids"})
    for name, value in changes.items():
        setattr(post, name, value.value if hasattr(value, "value") else value)
    if data.anchor is not None:
        _set_anchor(post, data.anchor)
    production = get_production(session=session, production_id=post.production_id)
    plan = _plan(session, production, anchor_of(post))
    current = {d.account_id: d for d in deliveries}
    account_ids = data.account_ids or [
        d.account_id for d in deliveries if d.status != DeliveryStatus.cancelled
    ]
    accounts = _accounts(session, account_ids)
    _check_renders(post, production, plan, accounts)
    _retarget(session, post, current, accounts, plan)
    post.version += 1
    post.updated_at = utcnow()
    if post.status in (PostStatus.approved, PostStatus.in_review):
        post.status = PostStatus.in_review.value
    save_recorded(
        session, post, actor=actor, action="post.edited", before=before, after=_snapshot(post)
    )
    return post


def _retarget(
    session: Session,
    post: Post,
    current: dict[int, Delivery],
    accounts: list[Account],
    plan: Plan,
) -> None:
    """Unbind unsent deliveries, add new targets, cancel dropped ones."""
    wanted = {a.id: a for a in accounts}
    for account_id, delivery in current.items():
        if delivery.status not in UNSENT and delivery.status != DeliveryStatus.cancelled:
            continue  # published, failed or unknown: history, left as it is
        if account_id in wanted:
            delivery.status = DeliveryStatus.pending.value
            delivery.due_at, delivery.schedule_note = plan.for_account(wanted[account_id])
        else:
            delivery.status = DeliveryStatus.cancelled.value
        delivery.approval_id = None
        delivery.held_for = None
        delivery.updated_at = utcnow()
        session.add(delivery)
    for account in accounts:
        if account.id not in current:
            due, note = plan.for_account(account)
            session.add(
                Delivery(
                    post_id=post.id or 0, account_id=account.id or 0, due_at=due, schedule_note=note
                )
            )


def _snapshot(post: Post) -> dict[str, Any]:
    return {
        "version": post.version,
        "status": post.status,
        "template": post.template,
        "body": post.body,
        "variables": post.variables,
        "tags": post.tags,
        "media": post.media,
        "featured": post.featured,
        "anchor": anchor_of(post).model_dump(mode="json"),
    }


def _reviewable(session: Session, post_id: int, version: int, *states: PostStatus) -> Post:
    """The post, locked, if it is still the version shown and in one of ``states``."""
    post = get_post(session=session, post_id=post_id, lock=True)
    _expect_version(post, version)
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


def preview_post(*, session: Session, post_id: int) -> list[RenderedDelivery]:
    """Exactly what each unsent delivery would publish, with the hash an approval binds and the
    platform's verdict (length, limit, problems, warnings such as a missing alt text, the
    thread) from the same rules the API applied when the post was made."""
    post = get_post(session=session, post_id=post_id)
    production = get_production(session=session, production_id=post.production_id)
    milestone = (
        session.get(Milestone, post.anchor_milestone_id) if post.anchor_milestone_id else None
    )
    shown = []
    for delivery in deliveries_of(session=session, post_id=post_id):
        if delivery.status == DeliveryStatus.cancelled:
            continue
        account = session.get(Account, delivery.account_id)
        assert account is not None  # foreign key
        try:
            rendered = render_delivery(
                production=production,
                milestone=milestone,
                account=account,
                post=post,
                due_at=delivery.due_at,
            )
        except RenderError as exc:
            raise Invalid(exc.field, exc.message) from None
        shown.append(
            RenderedDelivery(
                delivery_id=delivery.id or 0,
                account_id=account.id or 0,
                platform=account.platform,
                handle=account.handle,
                text=rendered.text,
                content_hash=content_hash(rendered, account),
                due_at=delivery.due_at,
                verdict=DeliveryVerdict.model_validate(
                    _verdict(account, rendered), from_attributes=True
                ),
            )
        )
    return shown


def approve_post(
    *, session: Session, post_id: int, version: int, actor: str, note: str | None = None
) -> Approval:
    """Approve the version the reviewer saw, binding each unsent delivery's exact output."""
    post = _reviewable(session, post_id, version, PostStatus.in_review)
    previews = preview_post(session=session, post_id=post_id)
    unsent = {
        d.id: d for d in deliveries_of(session=session, post_id=post_id) if d.status in UNSENT
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
