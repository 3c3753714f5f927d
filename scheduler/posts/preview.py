"""Exactly what each delivery of a post would publish: the text, the hash an approval binds,
and the platform's verdict.

Apart because the API's preview, the approval and talent sign-off share it:
``approval.approve_post`` binds the hashes computed here and ``scheduler.review.signoffs``
fingerprints them, so what a reviewer or a talent was shown is what gets approved; the verdict
comes from the same platform rules ``targets`` applied when the post was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderedPost, RenderError
from scheduler.core.errors import Invalid
from scheduler.core.models import Account, Delivery, DeliveryStatus, Milestone, Post, Production
from scheduler.media.library import attach
from scheduler.planning.productions import get_production
from scheduler.posts.lifecycle import get_post
from scheduler.posts.schemas import DeliveryVerdict, DraftDelivery, PostCreate, RenderedDelivery
from scheduler.posts.shown import Shown
from scheduler.posts.targets import plan_for, platform_verdict, target_accounts


@dataclass(frozen=True)
class Rendered:
    """One delivery of a post as it would publish now."""

    delivery: Delivery
    account: Account
    rendered: RenderedPost

    @property
    def content_hash(self) -> str:
        return content_hash(self.rendered, self.account)

    @property
    def shown(self) -> Shown:
        """What an approval sends back to say it saw this (``scheduler.posts.shown``)."""
        return Shown.of(self.rendered, self.account, self.delivery.planned_at)

    @property
    def media_notes(self) -> list[str]:
        """The media an approval binds by URL only: links, whose bytes Callsheet does not hold."""
        return [
            f"{medium.url}: a link, bound by its URL only (Callsheet does not hold its bytes)"
            for medium in self.rendered.media
            if medium.held is None
        ]


def render_deliveries(*, session: Session, post: Post) -> list[Rendered]:
    """Every delivery but the cancelled ones, in delivery order, rendered as it would go out.

    The one place the preview, the approval and talent sign-off render a post: each binds or
    shows the hash computed here, by the same ``render_delivery`` the worker checks against.
    A template that no longer renders is a 422 naming its field.
    """
    return render_many(session=session, posts=[post])[post.id or 0]


def render_many(*, session: Session, posts: Sequence[Post]) -> dict[int, list[Rendered]]:
    """``render_deliveries`` for many posts in a fixed number of queries (one for their
    deliveries and accounts, one for their milestones, one per production not yet loaded):
    what a producer's review of a whole schedule shows, whatever its length."""
    if not posts:
        return {}
    ids = [post.id or 0 for post in posts]
    productions = {
        pid: get_production(session=session, production_id=pid)
        for pid in {post.production_id for post in posts}
    }
    anchors = {post.anchor_milestone_id for post in posts if post.anchor_milestone_id}
    milestones: dict[int | None, Milestone | None]
    if len(anchors) == 1:  # one post's, as before: the session may hold it already
        (anchor,) = anchors
        milestones = {anchor: session.get(Milestone, anchor)}
    elif anchors:
        found = session.exec(select(Milestone).where(col(Milestone.id).in_(anchors)))
        milestones = {m.id: m for m in found}
    else:
        milestones = {}
    query = (
        select(Delivery, Account)
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .where(col(Delivery.post_id).in_(ids), Delivery.status != DeliveryStatus.cancelled)
        .order_by(col(Delivery.id))
    )
    rows: dict[int, list[tuple[Delivery, Account]]] = {pid: [] for pid in ids}
    for delivery, account in session.exec(query):
        rows[delivery.post_id].append((delivery, account))
    return {
        post.id or 0: [
            _render(
                productions[post.production_id],
                milestones.get(post.anchor_milestone_id),
                post,
                delivery,
                account,
            )
            for delivery, account in rows[post.id or 0]
        ]
        for post in posts
    }


def _render(
    production: Production,
    milestone: Milestone | None,
    post: Post,
    delivery: Delivery,
    account: Account,
) -> Rendered:
    try:
        rendered = render_delivery(
            production=production,
            milestone=milestone,
            account=account,
            post=post,
            due_at=delivery.planned_at,
        )
    except RenderError as exc:
        raise Invalid(exc.field, exc.message) from None
    return Rendered(delivery=delivery, account=account, rendered=rendered)


def preview_post(*, session: Session, post_id: int) -> list[RenderedDelivery]:
    """Exactly what each unsent delivery would publish, with the hash an approval binds, the
    ``shown`` value an approval sends back, the media bound by URL only, and the platform's
    verdict (length, limit, problems, warnings such as a missing alt text, the
    thread) from the same rules the API applied when the post was made."""
    post = get_post(session=session, post_id=post_id)
    return [rendered_delivery(item) for item in render_deliveries(session=session, post=post)]


def rendered_delivery(item: Rendered) -> RenderedDelivery:
    """One rendered delivery as the preview (and the schedule under review) answers it."""
    return RenderedDelivery(
        delivery_id=item.delivery.id or 0,
        account_id=item.account.id or 0,
        platform=item.account.platform,
        handle=item.account.handle,
        text=item.rendered.text,
        content_hash=item.content_hash,
        shown=str(item.shown),
        media_notes=item.media_notes,
        due_at=item.delivery.planned_at,
        verdict=DeliveryVerdict.model_validate(
            platform_verdict(item.account, item.rendered), from_attributes=True
        ),
    )


def preview_draft(*, session: Session, data: PostCreate) -> list[DraftDelivery]:
    """What a post not yet saved would publish on each account it names, and each platform's
    verdict: the editor's preview while a person types. Nothing is written.

    The same steps ``lifecycle.create_post`` takes before it saves (the anchor planned, the
    targets checked against the production's accounts, uploads attached, each delivery
    rendered and asked of its platform), so the preview and the save cannot disagree; a
    refusal is the same ``Invalid`` naming the same field. Unlike saving, a platform's
    refusal is part of the answer (``verdict.problems``), not an error: the person sees it
    while they fix it.
    """
    production = get_production(session=session, production_id=data.production_id)
    plan = plan_for(session, production, data.anchor)
    accounts = target_accounts(session, production, data.account_ids)
    post = Post(
        production_id=production.id or 0,
        pillar=data.pillar.value,
        template=data.template,
        body=data.body,
        variables=data.variables,
        tags=data.tags,
        media=attach(session=session, production_id=production.id or 0, given=data.media),
        featured=data.featured,
        created_by="preview",
    )
    shown = []
    for account in accounts:
        due, note = plan.for_account(account)
        try:
            rendered = render_delivery(
                production=production,
                milestone=plan.milestone,
                account=account,
                post=post,
                due_at=due,
            )
        except RenderError as exc:
            raise Invalid(exc.field, exc.message) from None
        shown.append(
            DraftDelivery(
                account_id=account.id or 0,
                platform=account.platform,
                handle=account.handle,
                text=rendered.text,
                due_at=due,
                schedule_note=note,
                verdict=DeliveryVerdict.model_validate(
                    platform_verdict(account, rendered), from_attributes=True
                ),
            )
        )
    return shown
