"""Talent sign-off: what a request binds, asking for it, and who still blocks final approval.

A post lists the talent it features (``Post.featured``; the roster is
``scheduler.review.talent``). Those marked ``sign_off_required`` are sent a signed, one-time link
(``scheduler.review.links``) at their own email address or hook
(``scheduler.review.link_sending``), and answer without an account
(``scheduler.review.link_pages``). Whoever asks never sees the link.
Each request (``TalentSignoff``) binds one version of the post and a fingerprint of its content:
sha256 over every delivery's content hash, the same hash an approval binds, rendered by the
same code (``scheduler.content.context``). So a sign-off counts only while the post still says what
the talent saw: an edit moves the version, and a change the version does not see (a milestone
moved under a template that prints its date) moves the fingerprint.

``talent_blockers`` is what final approval asks. It renders only when some answer's
fingerprint has to be compared, and it fails closed: a featured id that names no talent of the
production blocks too.

Apart from the roster (``scheduler.review.talent``, kept per production whatever a post asks)
and from the link pages (the public side, reached with no account): this is the team's side,
what they ask for and what final approval checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.core.clock import machine_now
from scheduler.core.config import get_settings
from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import (
    Post,
    SignoffDecision,
    Talent,
    TalentSignoff,
)
from scheduler.events.record import save_recorded
from scheduler.posts.lifecycle import get_post
from scheduler.posts.preview import Rendered, render_deliveries
from scheduler.review.links import new_link_id
from scheduler.review.schemas import (
    PostSignoffs,
    SendState,
    SignoffState,
    TalentStanding,
)

# --- what a talent approves -----------------------------------------------------------------


#: One delivery as it would publish now: what a talent is shown and what the fingerprint covers.
Shown = Rendered


def render_post(*, session: Session, post: Post) -> list[Shown]:
    """Every delivery the preview shows, rendered as it would go out (``render_deliveries``).

    Without the platforms' verdicts (which build adapters and read media files): a talent
    approves words and pictures, and the approval checks the rest.
    """
    return render_deliveries(session=session, post=post)


def fingerprint(shown: Iterable[Shown]) -> str:
    """sha256 over the deliveries' content hashes (sorted: the order of rows means nothing)."""
    hashes = sorted(item.content_hash for item in shown)
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def _current_fingerprint(session: Session, post: Post) -> Callable[[], str]:
    """The post's fingerprint, rendered on first use only, then remembered."""
    found: list[str] = []

    def get() -> str:
        if not found:
            found.append(fingerprint(render_post(session=session, post=post)))
        return found[0]

    return get


# --- asking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """Requests just made (committed by the caller before their links are sent)."""

    post: Post
    content_hash: str
    requests: list[tuple[TalentSignoff, Talent]]
    already_approved: list[str]


def request_signoffs(*, session: Session, post_id: int, actor: str) -> Asked:
    """A request for every featured talent whose sign-off is required and not yet given.

    The post is locked, so the version and content bound are the ones an edit would wait for.
    A talent whose approval already covers this content is not asked again. A new request makes
    that talent's earlier links for this post stop working (``Refusal.superseded``). A talent
    with no email and no hook is a 422 naming them, before anything is written: their link
    would have nowhere to go.
    """
    post = get_post(session=session, post_id=post_id, lock=True)
    talents, strangers = _featured(session, post)
    if strangers:
        named = ", ".join(map(str, strangers))
        raise Invalid("featured", f"talent {named} is not on this production's talent list")
    required = [t for t in talents if t.sign_off_required]
    if not required:
        raise Invalid("featured", "this post features no one whose sign-off is required")
    digest = fingerprint(render_post(session=session, post=post))
    latest = _latest(session, post.id or 0, [t.id or 0 for t in required])
    covered = [t for t in required if _covers(latest.get(t.id or 0), post, digest)]
    to_ask = [t for t in required if t not in covered]
    _require_contact(to_ask)
    requests = [
        (_new_request(session, post, t, digest, latest.get(t.id or 0), actor=actor), t)
        for t in to_ask
    ]
    return Asked(post, digest, requests, [t.name for t in covered])


def reask(*, session: Session, post_id: int, signoff_id: int, actor: str) -> Asked:
    """A fresh request (and link) for the talent of request ``signoff_id``, replacing it.

    For the post as it is now: a re-send after an edit asks about the new version. Refused
    (409) when a newer request replaced this one, or when the talent's approval already covers
    the post; 422 when the talent has no email or hook.
    """
    post = get_post(session=session, post_id=post_id, lock=True)
    earlier = session.get(TalentSignoff, signoff_id)
    if earlier is None or earlier.post_id != post.id:
        raise NotFound("sign-off request", signoff_id)
    talent = session.get_one(Talent, earlier.talent_id)
    newest = _latest(session, post.id or 0, [talent.id or 0])[talent.id or 0]
    if newest.id != earlier.id:
        raise Conflict(
            f"request {signoff_id} was replaced by request {newest.id} for {talent.name}; "
            "re-send that one"
        )
    digest = fingerprint(render_post(session=session, post=post))
    if _covers(earlier, post, digest):
        raise Conflict(f"{talent.name} already approved this post as it reads now")
    _require_contact([talent])
    row = _new_request(session, post, talent, digest, earlier, actor=actor, resend=True)
    return Asked(post, digest, [(row, talent)], [])


def has_contact(talent: Talent) -> bool:
    """Whether a link for ``talent`` has somewhere to go: their email or their hook."""
    return bool(talent.email or talent.hook_sealed)


def _require_contact(talents: Iterable[Talent]) -> None:
    missing = [t.name for t in talents if not has_contact(t)]
    if missing:
        raise Invalid(
            "featured",
            f"add an email or a hook for {', '.join(missing)} on the production's talent list: "
            "their sign-off link has nowhere to go",
        )


def _new_request(
    session: Session,
    post: Post,
    talent: Talent,
    digest: str,
    earlier: TalentSignoff | None,
    *,
    actor: str,
    resend: bool = False,
) -> TalentSignoff:
    row = TalentSignoff(
        post_id=post.id or 0,
        talent_id=talent.id or 0,
        post_version=post.version,
        content_hash=digest,
        link_id=new_link_id(),
        expires_at=machine_now() + timedelta(days=get_settings().talent_link_days),
    )
    save_recorded(
        session,
        row,
        actor=actor,
        action="talent.signoff_resent" if resend else "talent.signoff_requested",
        before={"supersedes": earlier.id} if earlier is not None else None,
        after={
            "post_id": row.post_id,
            "post_version": row.post_version,
            "talent_id": row.talent_id,
            "content_hash": digest,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    return row


def send_state(signoff: TalentSignoff) -> SendState:
    """Whether the request's link reached the talent (``SendState``)."""
    if signoff.sent_at is not None:
        return "sent"
    return "not_sent" if signoff.send_error else "pending"


def _covers(signoff: TalentSignoff | None, post: Post, digest: str) -> bool:
    return (
        signoff is not None
        and signoff.decision == SignoffDecision.approved
        and signoff.post_version == post.version
        and signoff.content_hash == digest
    )


def _featured(session: Session, post: Post) -> tuple[list[Talent], list[int]]:
    """The post's featured talent of its production, in its order, and ids naming no one."""
    ids = list(dict.fromkeys(post.featured))
    if not ids:
        return [], []
    query = select(Talent).where(
        col(Talent.id).in_(ids), Talent.production_id == post.production_id
    )
    found = {t.id: t for t in session.exec(query)}
    return [found[i] for i in ids if i in found], [i for i in ids if i not in found]


def _latest(session: Session, post_id: int, talent_ids: list[int]) -> dict[int, TalentSignoff]:
    """Each talent's newest request on the post: the one that counts."""
    if not talent_ids:
        return {}
    query = (
        select(TalentSignoff)
        .where(TalentSignoff.post_id == post_id, col(TalentSignoff.talent_id).in_(talent_ids))
        .order_by(col(TalentSignoff.id))
    )
    return {row.talent_id: row for row in session.exec(query)}


# --- where things stand ---------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    talent: Talent
    signoff: TalentSignoff | None
    state: SignoffState


def _standings(session: Session, post: Post) -> tuple[list[Standing], list[int]]:
    talents, strangers = _featured(session, post)
    required = [t.id or 0 for t in talents if t.sign_off_required]
    latest = _latest(session, post.id or 0, required)
    current = _current_fingerprint(session, post)
    now = machine_now()
    standings = []
    for talent in talents:
        signoff = latest.get(talent.id or 0)
        standings.append(Standing(talent, signoff, state_of(talent, signoff, post, current, now)))
    return standings, strangers


def state_of(
    talent: Talent,
    signoff: TalentSignoff | None,
    post: Post,
    current: Callable[[], str],
    now: datetime,
) -> SignoffState:
    if not talent.sign_off_required:
        return "not_required"
    if signoff is None:
        return "not_requested"
    if signoff.post_version != post.version:
        return "outdated"
    if signoff.decision == SignoffDecision.declined:
        return "declined"  # a "no" stands whatever changed since; a new request asks again
    if signoff.content_hash != current():
        return "outdated"
    if signoff.decision == SignoffDecision.approved:
        return "approved"
    return "expired" if signoff.expires_at <= now else "pending"


def talent_blockers(*, session: Session, post: Post) -> list[str]:
    """Why final approval must wait for talent: one sentence per featured talent whose
    sign-off is required and does not cover the post's current version and content.

    Empty means nothing from talent stands in the way. A post featuring no one costs one
    attribute read; otherwise one query for the talent and one for their requests, and one
    render of the post when a pending or approved answer's content must be compared.
    """
    if not post.featured:
        return []
    return blockers_of(post, *_standings(session, post))


def blockers_of(post: Post, standings: list[Standing], strangers: list[int]) -> list[str]:
    blockers = [f"featured talent {i} is not on this production's talent list" for i in strangers]
    blockers += [
        _blocker(s, post) for s in standings if s.state not in ("approved", "not_required")
    ]
    return blockers


def _blocker(standing: Standing, post: Post) -> str:
    name, signoff = standing.talent.name, standing.signoff
    if signoff is None:
        return f"{name} has not been asked to sign off this post"
    if standing.state == "declined":
        return f"{name} declined: {signoff.reason}"
    if standing.state == "pending":
        return f"{name} has not answered yet (their link expires {in_utc(signoff.expires_at)})"
    if standing.state == "expired":
        expired = in_utc(signoff.expires_at)
        return f"{name} did not answer before their link expired ({expired}); ask again"
    answer = {"approved": "approval", "declined": "decline"}.get(signoff.decision, "request")
    if signoff.post_version != post.version:
        said = f" ({signoff.reason})" if signoff.decision == SignoffDecision.declined else ""
        return (
            f"{name}'s {answer}{said} was for version {signoff.post_version}; the post is now "
            f"at version {post.version}: ask again"
        )
    return (
        f"{name}'s {answer} was for the post as it read then; what it says has changed since "
        "(a date, an account or a medium it shows): ask again"
    )


def post_signoffs(*, session: Session, post_id: int) -> PostSignoffs:
    """Every featured talent's standing on the post, and the blockers they make."""
    post = get_post(session=session, post_id=post_id)
    standings, strangers = _standings(session, post)
    return PostSignoffs(
        post_id=post.id or 0,
        post_version=post.version,
        talent=[standing_shown(s) for s in standings],
        blockers=blockers_of(post, standings, strangers),
    )


def known_digest(digest: str) -> Callable[[], str]:
    return lambda: digest


def standing_shown(standing: Standing) -> TalentStanding:
    row = standing.signoff
    return TalentStanding(
        talent_id=standing.talent.id or 0,
        talent=standing.talent.name,
        sign_off_required=standing.talent.sign_off_required,
        state=standing.state,
        post_version=row.post_version if row else None,
        requested_at=row.created_at if row else None,
        expires_at=row.expires_at if row else None,
        decision=row.decision if row else None,
        reason=row.reason if row else None,
        decided_at=row.decided_at if row else None,
        channel=row.channel if row else None,
        sent_to=row.sent_to if row else None,
        send_state=send_state(row) if row else None,
        sent_at=row.sent_at if row else None,
        send_error=row.send_error if row else None,
    )


def in_utc(moment: datetime) -> str:
    """A moment as a talent or a producer reads it: ``2027-03-01 18:00 UTC``."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"
