"""Exactly what each delivery of a post would publish: the text, the hash an approval binds,
and the platform's verdict.

Apart because the API's preview, the approval and talent sign-off share it:
``approval.approve_post`` binds the hashes computed here and ``scheduler.review.signoffs``
fingerprints them, so what a reviewer or a talent was shown is what gets approved; the verdict
comes from the same platform rules ``targets`` applied when the post was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderedPost, RenderError
from scheduler.core.errors import Invalid
from scheduler.core.models import Account, Delivery, DeliveryStatus, Milestone, Post
from scheduler.planning.productions import get_production
from scheduler.posts.lifecycle import get_post
from scheduler.posts.schemas import DeliveryVerdict, RenderedDelivery
from scheduler.posts.shown import Shown
from scheduler.posts.targets import platform_verdict


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
    production = get_production(session=session, production_id=post.production_id)
    milestone = (
        session.get(Milestone, post.anchor_milestone_id) if post.anchor_milestone_id else None
    )
    query = (
        select(Delivery, Account)
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .where(Delivery.post_id == post.id, Delivery.status != DeliveryStatus.cancelled)
        .order_by(col(Delivery.id))
    )
    shown = []
    for delivery, account in session.exec(query):
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
        shown.append(Rendered(delivery=delivery, account=account, rendered=rendered))
    return shown


def preview_post(*, session: Session, post_id: int) -> list[RenderedDelivery]:
    """Exactly what each unsent delivery would publish, with the hash an approval binds, the
    ``shown`` value an approval sends back, the media bound by URL only, and the platform's
    verdict (length, limit, problems, warnings such as a missing alt text, the
    thread) from the same rules the API applied when the post was made."""
    post = get_post(session=session, post_id=post_id)
    return [
        RenderedDelivery(
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
        for item in render_deliveries(session=session, post=post)
    ]
