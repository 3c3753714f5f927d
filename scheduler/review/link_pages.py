"""The pages a sign-off link opens: what the talent sees, their answer, and refused links.

A link that may not be used (tampered, expired, unknown, used, superseded, or for content that
has changed) raises ``LinkRefused`` before anything is written; the route then records the
refusal alone (``record_refusal``). Deciding is a conditional update from ``pending``, so two
answers racing through one link cannot both count. Apart from ``scheduler.review.signoffs``
because these are the public side, reached with no account: the link is the only credential
(``scheduler.review.links``), and everything here checks it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scheduler.core.clock import machine_now
from scheduler.core.db import writing
from scheduler.core.errors import Invalid
from scheduler.core.models import Post, SignoffDecision, Talent, TalentSignoff
from scheduler.events.record import record_event
from scheduler.planning.productions import get_production
from scheduler.posts.lifecycle import get_post
from scheduler.review.links import LinkRefused, Refusal
from scheduler.review.links import read_token as read_link
from scheduler.review.schemas import (
    ShownDelivery,
    ShownMedium,
    SignoffAnswer,
    SignoffPage,
    SignoffRecorded,
)
from scheduler.review.signoffs import Shown, fingerprint, in_utc, render_post


@dataclass(frozen=True)
class _OpenLink:
    signoff: TalentSignoff
    talent: Talent
    post: Post
    shown: list[Shown]


def _open(session: Session, token: str) -> _OpenLink:
    """The request a token names, if it may be used now; ``LinkRefused`` otherwise.

    Checked from the cheapest to the dearest: signature and age, the row, its one use, the
    post's version, a newer link, the expiry, and last the rendered content.
    """
    link_id = read_link(token)
    signoff = session.exec(select(TalentSignoff).where(TalentSignoff.link_id == link_id)).first()
    if signoff is None:
        raise LinkRefused(
            Refusal.unknown,
            "this sign-off link is not known here; ask the production team for a new one",
        )
    sid = signoff.id
    if signoff.decision != SignoffDecision.pending:
        raise LinkRefused(Refusal.used, _used(signoff), signoff_id=sid)
    post = get_post(session=session, post_id=signoff.post_id)
    if signoff.post_version != post.version:
        raise LinkRefused(Refusal.changed, _CHANGED, signoff_id=sid)
    newer = select(TalentSignoff.id).where(
        TalentSignoff.post_id == signoff.post_id,
        TalentSignoff.talent_id == signoff.talent_id,
        col(TalentSignoff.id) > sid,
    )
    if session.exec(newer).first() is not None:
        raise LinkRefused(
            Refusal.superseded,
            "a newer sign-off link was sent to you for this post; use that one",
            signoff_id=sid,
        )
    if signoff.expires_at <= machine_now():
        raise LinkRefused(
            Refusal.expired,
            "this sign-off link has expired; ask the production team for a new one",
            signoff_id=sid,
        )
    try:
        shown = render_post(session=session, post=post)
    except Invalid:
        raise LinkRefused(Refusal.changed, _CHANGED, signoff_id=sid) from None
    if fingerprint(shown) != signoff.content_hash:
        raise LinkRefused(Refusal.changed, _CHANGED, signoff_id=sid)
    talent = session.get(Talent, signoff.talent_id)
    assert talent is not None  # foreign key
    return _OpenLink(signoff=signoff, talent=talent, post=post, shown=shown)


_CHANGED = (
    "the post changed since this link was made, so this link cannot approve or decline it; "
    "a new link is needed: ask the production team to send one"
)


def _used(signoff: TalentSignoff) -> str:
    when = f" on {in_utc(signoff.decided_at)}" if signoff.decided_at else ""
    return (
        f"this sign-off link was already used: it {signoff.decision} the post{when}; each link "
        "works once, so ask the production team for a new one to change the answer"
    )


def open_link(*, session: Session, token: str) -> SignoffPage:
    """What the link's talent is asked to approve: every account's exact text and media."""
    link = _open(session, token)
    production = get_production(session=session, production_id=link.post.production_id)
    return SignoffPage(
        talent=link.talent.name,
        production=production.title,
        post_id=link.post.id or 0,
        post_version=link.signoff.post_version,
        state=link.signoff.decision,
        requested_at=link.signoff.created_at,
        expires_at=link.signoff.expires_at,
        content_hash=link.signoff.content_hash,
        deliveries=[
            ShownDelivery(
                platform=item.account.platform,
                handle=item.account.handle,
                text=item.rendered.text,
                media=[ShownMedium(url=m.url, kind=m.kind, alt=m.alt) for m in item.rendered.media],
            )
            for item in link.shown
        ],
    )


def decide(*, session: Session, token: str, answer: SignoffAnswer) -> SignoffRecorded:
    """Record the talent's approval or decline of the content their link shows.

    The row moves from ``pending`` only: a second answer racing through the same link updates
    nothing and is refused as a reused link.
    """
    link = _open(session, token)
    decision = (
        SignoffDecision.approved if answer.decision == "approve" else SignoffDecision.declined
    )
    decided_at = machine_now()
    conn = session.connection()
    moved = conn.execute(
        update(TalentSignoff)
        .where(
            col(TalentSignoff.id) == link.signoff.id,
            col(TalentSignoff.decision) == SignoffDecision.pending.value,
        )
        .values(decision=decision.value, reason=answer.reason, decided_at=decided_at)
    )
    if moved.rowcount != 1:
        session.refresh(link.signoff)
        raise LinkRefused(Refusal.used, _used(link.signoff), signoff_id=link.signoff.id)
    record_event(
        conn,
        actor=f"talent {link.talent.name} (sign-off link)"[:120],
        action=f"talent.{decision.value}",
        entity="talentsignoff",
        entity_id=link.signoff.id,
        before={"decision": SignoffDecision.pending.value},
        after={
            "decision": decision.value,
            "post_id": link.post.id,
            "post_version": link.signoff.post_version,
            "talent_id": link.talent.id,
            "content_hash": link.signoff.content_hash,
        },
        reason=answer.reason,
    )
    return SignoffRecorded(
        talent=link.talent.name,
        post_id=link.post.id or 0,
        post_version=link.signoff.post_version,
        decision=decision.value,
        reason=answer.reason,
        decided_at=decided_at,
    )


def refuse_apart(
    *, session: Session, refused: LinkRefused, origin: str, attempt: Literal["view", "decide"]
) -> None:
    """Roll back whatever the request read or wrote, and audit the refusal alone, in a writing
    session (``BEGIN IMMEDIATE`` on SQLite) of its own: a refused ``GET`` records it without
    upgrading its read-only transaction. The API's link and the talent's page both call it."""
    session.rollback()
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    with Session(writing(bind), expire_on_commit=False) as audit:
        record_refusal(
            session=audit, refused=refused, actor=f"sign-off link from {origin}", attempt=attempt
        )
        audit.commit()


def record_refusal(
    *, session: Session, refused: LinkRefused, actor: str, attempt: Literal["view", "decide"]
) -> None:
    """Audit a refused link; call it on a session with nothing else pending, then commit."""
    record_event(
        session.connection(),
        actor=actor,
        action="talent.link_refused",
        entity="talentsignoff",
        entity_id=refused.signoff_id,
        after={"refusal": refused.why.value, "attempt": attempt},
        reason=refused.message,
    )
