"""Sending talent their sign-off links: to their own email or hook, never to whoever asked.

A link is a bearer credential (``scheduler.review.links``): whoever holds it answers for the
talent. So it goes only to the talent's own contact — their hook if they gave one (their
choice), else their email through ``CALLSHEET_SMTP_URL`` — and the team is told who was asked,
by which channel, to where, and whether it got there; never the link.

Sending happens in the request, not through an outbox, so whoever asks reads at once
"sent" or "not sent: the mail server answered 550 …". A failure still loses nothing:

1. the requests are committed first (``signoffs.request_signoffs`` / ``reask``), and the
   transaction is closed before any mail server or hook is contacted (a slow server never
   holds a database lock);
2. each link is made in memory from the request's ``link_id`` just before it is sent, and
   never stored: an outbox row would have to hold the token (sealed) for its retries;
3. each outcome is written at once, with its AuditEvent (``talent.link_sent`` or
   ``talent.link_not_sent``: who, to which talent, by which channel, to which address or
   hook host), in a short transaction of its own.

A request whose link was not sent (or whose process died while sending: still ``pending``)
is sent again by a producer (``resend``): a fresh request and link, which makes the earlier
link stop working, so at most one usable link per talent and post exists. Reasons are
scrubbed of the token, the hook's URL and the mail server's password before they are stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx
from sqlalchemy import update
from sqlmodel import Session, col

from platforms.adapters.egress import EgressRefused, egress_client
from platforms.adapters.http import plain_text, scrub
from scheduler.core.clock import machine_now
from scheduler.core.config import Settings, get_settings
from scheduler.core.models import Production, Talent, TalentSignoff
from scheduler.core.vault import VaultError
from scheduler.events.record import record_event
from scheduler.notify.hooks import hook_target
from scheduler.notify.mail import MailNotSent, compose, send_email
from scheduler.review.links import link_path, make_token, redact
from scheduler.review.schemas import SignoffAsked, SignoffRequested
from scheduler.review.signoffs import Asked, in_utc, reask, request_signoffs

log = logging.getLogger(__name__)

_ERROR_LIMIT = 500  # the column's size


def ask_for_signoffs(*, session: Session, post_id: int, actor: str) -> SignoffRequested:
    """Ask every featured talent whose sign-off is required, sending each their link.

    Commits: the requests first, then each sending's outcome (see the module's docstring).
    """
    asked = request_signoffs(session=session, post_id=post_id, actor=actor)
    return SignoffRequested(
        post_id=asked.post.id or 0,
        post_version=asked.post.version,
        content_hash=asked.content_hash,
        asked=_send_all(session, asked, actor),
        already_approved=asked.already_approved,
    )


def resend(*, session: Session, post_id: int, signoff_id: int, actor: str) -> SignoffAsked:
    """Send the talent of request ``signoff_id`` a fresh link, replacing the earlier one."""
    asked = reask(session=session, post_id=post_id, signoff_id=signoff_id, actor=actor)
    (sent,) = _send_all(session, asked, actor)
    return sent


@dataclass(frozen=True)
class _Outgoing:
    """One link to send, read before the transaction closes: nothing here touches the
    database while a mail server or a hook is being waited for."""

    signoff_id: int
    talent_id: int
    talent: str
    email: str | None
    hook_sealed: str | None
    link_id: str
    expires_at: datetime
    production: str
    post_id: int
    post_version: int

    @property
    def channel(self) -> Literal["email", "hook"]:
        return "hook" if self.hook_sealed else "email"


def _send_all(session: Session, asked: Asked, actor: str) -> list[SignoffAsked]:
    production = session.get_one(Production, asked.post.production_id).title
    outgoing = [_outgoing(row, talent, production) for row, talent in asked.requests]
    session.commit()  # the requests stand whatever happens to the sending
    settings = get_settings()
    answers = []
    for item in outgoing:
        try:
            sent_to, error = _send(item, settings)
        except Exception as exc:  # a bug must not leave the others unsent, nor answer 500
            # Only the kind of error: its words might hold what was being sent.
            log.error("sign-off request %d: sending failed: %s", item.signoff_id, type(exc))
            sent_to = (item.email or "") if item.channel == "email" else "their hook"
            error = f"not sent: an unexpected error ({type(exc).__name__}); re-send it"
        answers.append(_record(session, item, sent_to=sent_to, error=error, actor=actor))
    return answers


def _outgoing(row: TalentSignoff, talent: Talent, production: str) -> _Outgoing:
    return _Outgoing(
        signoff_id=row.id or 0,
        talent_id=talent.id or 0,
        talent=talent.name,
        email=talent.email,
        hook_sealed=talent.hook_sealed,
        link_id=row.link_id,
        expires_at=row.expires_at,
        production=production,
        post_id=row.post_id,
        post_version=row.post_version,
    )


def _send(item: _Outgoing, settings: Settings) -> tuple[str, str | None]:
    """Send one link: (where it went, as shown; ``None`` or why it was not sent)."""
    token = make_token(item.link_id)
    link = settings.public_url.rstrip("/") + link_path(token)
    if item.hook_sealed:
        return _send_to_hook(item, link, token, settings)
    address = item.email or ""
    message = compose(
        settings=settings,
        to_name=item.talent,
        to_address=address,
        subject=f"{item.production}: please approve post {item.post_id}, which features you",
        text=_letter(item, link),
    )
    try:
        send_email(message, settings=settings, secrets=[token])
    except MailNotSent as exc:
        return address, exc.reason
    return address, None


def _letter(item: _Outgoing, link: str) -> str:
    return (
        f"Hello {item.talent},\n\n"
        f"The {item.production} team would like to publish a post that features you "
        f"(post {item.post_id}, version {item.post_version}), and asks for your approval "
        "first.\n\n"
        "Open this link to see exactly what each account will publish, then approve it or "
        "decline it with a reason:\n\n"
        f"{link}\n\n"
        f"The link is yours alone: it works once, until {in_utc(item.expires_at)}. If the "
        "post changes before you answer, you will be sent a new one.\n"
    )


def _send_to_hook(
    item: _Outgoing, link: str, token: str, settings: Settings
) -> tuple[str, str | None]:
    """POST the link to the talent's hook, through the egress policy's connect-time check."""
    try:
        url = str(settings.vault().open(item.hook_sealed or "")["url"])
    except (VaultError, KeyError):
        return "their hook", "their hook cannot be opened with CALLSHEET_SECRET_KEYS"
    target = hook_target(url)
    payload = {
        "text": (
            f"{item.production} asks {item.talent} to approve post {item.post_id} before it is "
            f"published: {link} (works once, until {in_utc(item.expires_at)})"
        ),
        "callsheet": {
            "event": "talent.signoff_requested",
            "production": item.production,
            "post_id": item.post_id,
            "post_version": item.post_version,
            "talent": item.talent,
            "link": link,
            "expires_at": item.expires_at.isoformat(),
        },
    }
    headers = {"Idempotency-Key": f"callsheet-signoff-{item.signoff_id}"}
    try:
        with egress_client(
            allow_private=settings.allow_private_targets,
            require_https=settings.require_https,
            timeout=settings.notify_timeout_seconds,
        ) as client:
            answer = client.post(url, json=payload, headers=headers)
    except EgressRefused as exc:
        return target, f"not sent: {exc.message}"
    except httpx.HTTPError as exc:
        return target, f"could not reach {target} ({type(exc).__name__})"
    if answer.is_success:
        return target, None
    said = scrub(redact(plain_text(answer)).replace(url, "…"), [token, link])
    return target, f"{target} answered HTTP {answer.status_code}: {said}"


def _record(
    session: Session, item: _Outgoing, *, sent_to: str, error: str | None, actor: str
) -> SignoffAsked:
    """Write one outcome and its AuditEvent, and commit: an outcome is never lost to a later
    talent's slow server."""
    now = machine_now()
    reason = redact(error)[:_ERROR_LIMIT] if error else None
    conn = session.connection()
    conn.execute(
        update(TalentSignoff)
        .where(col(TalentSignoff.id) == item.signoff_id)
        .values(
            channel=item.channel,
            sent_to=sent_to[:300],
            sent_at=None if reason else now,
            send_error=reason,
        )
    )
    record_event(
        conn,
        actor=actor,
        action="talent.link_not_sent" if reason else "talent.link_sent",
        entity="talentsignoff",
        entity_id=item.signoff_id,
        after={
            "post_id": item.post_id,
            "talent_id": item.talent_id,
            "channel": item.channel,
            "sent_to": sent_to,
        },
        reason=reason,
    )
    session.commit()
    if reason:
        log.warning(
            "sign-off request %d: link for talent %d not sent by %s: %s",
            item.signoff_id,
            item.talent_id,
            item.channel,
            reason,
        )
    else:
        log.info(
            "sign-off request %d: link sent to talent %d by %s",
            item.signoff_id,
            item.talent_id,
            item.channel,
        )
    return SignoffAsked(
        signoff_id=item.signoff_id,
        talent_id=item.talent_id,
        talent=item.talent,
        channel=item.channel,
        sent_to=sent_to,
        send_state="not_sent" if reason else "sent",
        send_error=reason,
        expires_at=item.expires_at,
    )
