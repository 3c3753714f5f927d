"""Calendar subscription links: a person's revocable secret that reads one production's feed.

Calendar apps (Google Calendar, Outlook, Apple Calendar) subscribe to a URL and cannot send an
``Authorization`` header or a cookie, so the URL itself carries the credential. Each link:

- is made by a member of the production (viewer or above) for themselves, and shown once: only
  its SHA-256 is stored, as for API tokens (256 random bits leave nothing to guess offline);
- reads that one production's feed and nothing else: it is not an ``AccessToken``, so it can
  never sign in to the API;
- works only while it is not revoked, its person is not disabled and is still a member of the
  production (or a site admin). These are checked on every read, so removing someone from a
  production or disabling them stops their links at once; disabling revokes them too
  (``members.set_disabled``), so enabling the person later brings no old link back.

Every refusal is the same ``NotFound``: whoever holds a dead link learns nothing from it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from scheduler.core.errors import NotFound
from scheduler.core.models import CalendarSubscription, Membership, Person, Production, utcnow
from scheduler.events.record import save_recorded
from scheduler.people.members import token_hash

#: Marks a feed link's secret, so a secret scanner can tell it from an API token (``cs_``).
LINK_PREFIX = "cs_cal_"
#: The path a feed link is served at: ``{public_url}/calendar/{secret}.ics``.
FEED_PATH = "/calendar/{secret}.ics"


@dataclass(frozen=True)
class IssuedCalendarLink:
    """A link as made: ``secret`` is shown this once and never stored."""

    subscription: CalendarSubscription
    secret: str

    def url(self, public_url: str) -> str:
        """The feed's address under the API's public URL."""
        return public_url.rstrip("/") + FEED_PATH.format(secret=self.secret)


def webcal(url: str) -> str:
    """The same feed as a ``webcal://`` address, which opens the calendar app to subscribe."""
    _scheme, sep, rest = url.partition("://")
    return f"webcal://{rest}" if sep else url


def issue_calendar_link(
    *, session: Session, person: Person, production_id: int, name: str, actor: str
) -> IssuedCalendarLink:
    """Make a feed link for ``person`` to ``production_id``; its secret is in the answer only."""
    if session.get(Production, production_id) is None:
        raise NotFound("production", production_id)
    secret = LINK_PREFIX + secrets.token_urlsafe(32)
    subscription = CalendarSubscription(
        person_id=person.id or 0,
        production_id=production_id,
        name=name,
        token_hash=token_hash(secret),
    )
    save_recorded(
        session,
        subscription,
        actor=actor,
        action="calendar_link.issued",
        after={"person_id": person.id, "production_id": production_id, "name": name},
    )
    return IssuedCalendarLink(subscription=subscription, secret=secret)


def calendar_links_of(session: Session, person_id: int) -> list[CalendarSubscription]:
    query = select(CalendarSubscription).where(CalendarSubscription.person_id == person_id)
    return list(session.exec(query.order_by(col(CalendarSubscription.id))))


def revoke_calendar_link(
    *, session: Session, subscription_id: int, person: Person, actor: str
) -> CalendarSubscription:
    """Revoke one of ``person``'s feed links (a site admin may revoke anyone's)."""
    subscription = session.get(CalendarSubscription, subscription_id)
    if subscription is None or (subscription.person_id != person.id and not person.site_admin):
        raise NotFound("calendar subscription", subscription_id)
    if subscription.revoked_at is None:
        subscription.revoked_at = utcnow()
        save_recorded(session, subscription, actor=actor, action="calendar_link.revoked")
    return subscription


def feed_production(session: Session, secret: str) -> int:
    """The production a live feed link reads; ``NotFound`` (always the same) otherwise."""
    found = session.exec(
        select(CalendarSubscription, Person)
        .join(Person, col(Person.id) == col(CalendarSubscription.person_id))
        .where(CalendarSubscription.token_hash == token_hash(secret))
    ).first()
    if found is not None:
        subscription, person = found
        if (
            subscription.revoked_at is None
            and person.disabled_at is None
            and (person.site_admin or _is_member(session, person, subscription.production_id))
        ):
            return subscription.production_id
    raise NotFound("calendar", "link")


def _is_member(session: Session, person: Person, production_id: int) -> bool:
    membership = session.exec(
        select(Membership.id).where(
            Membership.person_id == person.id, Membership.production_id == production_id
        )
    ).first()
    return membership is not None
