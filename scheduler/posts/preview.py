"""Exactly what each delivery of a post would publish: the text, the hash an approval binds,
and the platform's verdict.

Apart because the API's preview and the approval share it: ``approval.approve_post`` binds the
hashes computed here, so what a reviewer was shown is what gets approved; the verdict comes
from the same platform rules ``targets`` applied when the post was made.
"""

from __future__ import annotations

from sqlmodel import Session

from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderError
from scheduler.core.errors import Invalid
from scheduler.core.models import Account, DeliveryStatus, Milestone
from scheduler.planning.productions import get_production
from scheduler.posts.lifecycle import deliveries_of, get_post
from scheduler.posts.schemas import DeliveryVerdict, RenderedDelivery
from scheduler.posts.targets import platform_verdict


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
                    platform_verdict(account, rendered), from_attributes=True
                ),
            )
        )
    return shown
