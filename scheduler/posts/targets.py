"""Where a post goes and when: its due time on each target account, each platform's verdict on
what it would publish there, and the deliveries that fan out to the targets.

``plan_for`` resolves the anchor to a due time and the blackouts that apply; ``Plan.for_account``
moves it out of blackouts and the account's quiet hours. ``check_renders`` renders for every
account and asks its platform (``Adapter.check``: the text, and the media's kind, type, size,
proportions, length and count), so a refusal is a 422 while a person is looking, not a failure
at dispatch. ``retarget`` moves an edited post's unsent deliveries onto the new plan and
accounts.

Apart from ``lifecycle`` because this is the part that asks the calendar and the platforms; the
lifecycle decides when to ask, and the preview asks the same platforms the same question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from platforms.text import TextCheck
from scheduler.accounts.connections import build_account_adapter
from scheduler.accounts.productions import accounts_for_targets
from scheduler.content.context import render_delivery
from scheduler.content.render import RenderedPost, RenderError
from scheduler.core.errors import Invalid
from scheduler.core.models import (
    UNSENT,
    Account,
    Delivery,
    DeliveryStatus,
    Milestone,
    Post,
    Production,
    utcnow,
)
from scheduler.planning.timeline import Anchor, due_at, zone
from scheduler.planning.windows import QuietHours, Window, blackouts_for, first_allowed
from scheduler.posts.schemas import AnchorIn


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


def plan_for(session: Session, production: Production, anchor: AnchorIn) -> Plan:
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


def target_accounts(session: Session, production: Production, ids: list[int]) -> list[Account]:
    """The accounts a post of ``production`` goes to: only accounts that production serves
    (``scheduler.accounts.productions``), else a 422 on ``account_ids``."""
    return accounts_for_targets(session, production.id or 0, ids)


def check_renders(post: Post, production: Production, plan: Plan, accounts: list[Account]) -> None:
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
        verdict = platform_verdict(account, rendered)
        if verdict.text_problems:
            raise Invalid(
                "body" if post.body else "template",
                f"{account.platform} {account.handle}: {' '.join(verdict.text_problems)}",
            )
        if verdict.media_problems:
            raise Invalid(
                "media", f"{account.platform} {account.handle}: {' '.join(verdict.media_problems)}"
            )


def platform_verdict(account: Account, rendered: RenderedPost) -> TextCheck:
    """The platform's verdict on one rendered delivery, through the account's adapter."""
    adapter = build_account_adapter(account)
    try:
        return adapter.check(rendered.text, rendered.media)
    finally:
        adapter.close()


def retarget(
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
            delivery.planned_at = delivery.due_at
        else:
            delivery.status = DeliveryStatus.cancelled.value
        delivery.approval_id = None
        delivery.held_for = None
        delivery.updated_at = utcnow()
        session.add(delivery)
    for account in accounts:
        if account.id not in current:
            session.add(new_delivery(post, account, plan))


def new_delivery(post: Post, account: Account, plan: Plan) -> Delivery:
    """The post's delivery to ``account``, ``pending``, planned (and due) when ``plan`` says."""
    due, note = plan.for_account(account)
    return Delivery(
        post_id=post.id or 0,
        account_id=account.id or 0,
        due_at=due,
        planned_at=due,
        schedule_note=note,
    )
