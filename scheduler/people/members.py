"""People, their roles per production, and the tokens they sign in with.

Tokens (API tokens and web login sessions alike) are 256 random bits, shown once when made;
only their SHA-256 is stored. A fast hash is enough for a secret with that much entropy (there
is nothing to guess offline), and it lets a request find its token with one indexed lookup.
Passwords, which people choose, are hashed with argon2id (``argon2-cffi``), made to be slow.

Every token expires; revoking one takes effect on the next request. A disabled person's
tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import (
    AccessToken,
    CalendarSubscription,
    Membership,
    Person,
    Production,
    Role,
    utcnow,
)
from scheduler.events.record import record_event, save_recorded

TOKEN_PREFIX = "cs_"  # noqa: S105 - a prefix that lets secret scanners spot leaked tokens
#: An API token lives at most this long: a leaked one must stop working by itself.
MAX_TOKEN_DAYS = 366
SESSION_HOURS = 12
#: A sign-in link's token kind, and how long one works.
LINK = "link"
LINK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()


class NotSignedIn(Exception):
    """No usable credentials: missing, unknown, expired, revoked, or a disabled person (401)."""

    def __init__(self, message: str = "sign in: send 'Authorization: Bearer <token>'") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    """A token as made: ``secret`` is shown this once and never stored."""

    token: AccessToken
    secret: str


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_person(
    *,
    session: Session,
    name: str,
    email: str,
    password: str | None,
    site_admin: bool,
    actor: str,
) -> Person:
    """Add a person (emails are unique, compared without case)."""
    email = email.strip().lower()
    if session.exec(select(Person).where(Person.email == email)).first() is not None:
        raise Conflict(f"email: {email} belongs to someone already")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    person = Person(
        name=name.strip(),
        email=email,
        password_hash=_hasher.hash(password) if password else None,
        site_admin=site_admin,
    )
    save_recorded(
        session,
        person,
        actor=actor,
        action="person.created",
        after={"name": person.name, "email": email, "site_admin": site_admin},
    )
    return person


def set_role(
    *, session: Session, production_id: int, person_id: int, role: Role | None, actor: str
) -> Membership | None:
    """Give ``person_id`` ``role`` in the production, change it, or (``None``) remove it."""
    if session.get(Production, production_id) is None:
        raise NotFound("production", production_id)
    if session.get(Person, person_id) is None:
        raise Invalid("person_id", f"no person with id {person_id}")
    membership = session.exec(
        select(Membership).where(
            Membership.production_id == production_id, Membership.person_id == person_id
        )
    ).first()
    before = {"role": membership.role if membership else None}
    if role is None:
        if membership is not None:
            session.delete(membership)
            session.flush()
            record_event(
                session.connection(),
                actor=actor,
                action="membership.removed",
                entity="production",
                entity_id=production_id,
                before=before,
                after={"person_id": person_id, "role": None},
            )
        return None
    if membership is None:
        membership = Membership(person_id=person_id, production_id=production_id, role=role.value)
    membership.role = role.value
    save_recorded(
        session,
        membership,
        actor=actor,
        action="membership.set",
        before=before,
        after={"person_id": person_id, "production_id": production_id, "role": role.value},
    )
    return membership


def roles_of(session: Session, person_id: int) -> dict[int, Role]:
    """The person's role in each production they belong to."""
    rows = session.exec(select(Membership).where(Membership.person_id == person_id))
    return {m.production_id: Role(m.role) for m in rows}


def issue_token(
    *,
    session: Session,
    person: Person,
    name: str,
    expires_at: datetime,
    kind: str = "api",
    actor: str,
    now: datetime,
) -> IssuedToken:
    """Make a token for ``person``; its secret is in the answer and nowhere else."""
    if expires_at <= now:
        raise Invalid("expires_at", "must be in the future")
    if expires_at > now + timedelta(days=MAX_TOKEN_DAYS):
        raise Invalid("expires_at", f"a token may live at most {MAX_TOKEN_DAYS} days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(
        person_id=person.id or 0,
        kind=kind,
        name=name,
        token_hash=token_hash(secret),
        expires_at=expires_at,
    )
    save_recorded(
        session,
        token,
        actor=actor,
        action=f"token.issued.{kind}",
        after={"person_id": person.id, "name": name, "expires_at": expires_at.isoformat()},
    )
    return IssuedToken(token=token, secret=secret)


def revoke_token(*, session: Session, token_id: int, person: Person, actor: str) -> AccessToken:
    """Revoke one of ``person``'s tokens (a site admin may revoke anyone's)."""
    token = session.get(AccessToken, token_id)
    if token is None or (token.person_id != person.id and not person.site_admin):
        raise NotFound("token", token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        save_recorded(session, token, actor=actor, action="token.revoked")
    return token


def tokens_of(session: Session, person_id: int) -> list[AccessToken]:
    query = select(AccessToken).where(AccessToken.person_id == person_id, AccessToken.kind == "api")
    return list(session.exec(query.order_by(col(AccessToken.id))))


def signed_in(session: Session, secret: str, *, now: datetime) -> tuple[Person, AccessToken]:
    """The person a token secret belongs to; ``NotSignedIn`` if it does not work (any reason).

    The reasons are not told apart in the answer: a caller holding a stolen, revoked token
    learns nothing from it.
    """
    # One query for both rows: every request signs in, so a round trip saved here is saved on
    # each one.
    found = session.exec(
        select(AccessToken, Person)
        .join(Person, col(Person.id) == col(AccessToken.person_id))
        .where(AccessToken.token_hash == token_hash(secret))
    ).first()
    if found is None:
        raise NotSignedIn("the token is not valid (unknown, expired or revoked)")
    token, person = found
    if (
        token.revoked_at is not None
        or token.expires_at <= now
        or person.disabled_at is not None
        or token.kind == LINK
    ):
        raise NotSignedIn("the token is not valid (unknown, expired or revoked)")
    return person, token


def issue_sign_in_link(*, session: Session, person: Person, actor: str, now: datetime) -> str:
    """A one-time sign-in link's secret for ``person``, good for ``LINK_MINUTES``: what
    ``callsheet up --sign-in-link`` prints for a person on this machine. It never works as an
    API token or a session (``signed_in`` refuses it); opening it starts a web session."""
    return issue_token(
        session=session,
        person=person,
        name="sign-in link",
        kind=LINK,
        expires_at=now + timedelta(minutes=LINK_MINUTES),
        actor=actor,
        now=now,
    ).secret


def link_holder(session: Session, secret: str, *, now: datetime) -> tuple[Person, AccessToken]:
    """The person a live sign-in link is for, and the link's token (``NotSignedIn`` if it is
    unknown, expired, used or not a link)."""
    found = session.exec(
        select(AccessToken, Person)
        .join(Person, col(Person.id) == col(AccessToken.person_id))
        .where(AccessToken.token_hash == token_hash(secret), AccessToken.kind == LINK)
    ).first()
    if found is None:
        raise NotSignedIn("this sign-in link does not work: it is unknown, used or expired")
    token, person = found
    if token.revoked_at is not None or token.expires_at <= now or person.disabled_at is not None:
        raise NotSignedIn("this sign-in link does not work: it is unknown, used or expired")
    return person, token


def redeem_sign_in_link(*, session: Session, secret: str, now: datetime) -> Person:
    """Use a sign-in link up (each works once) and answer whose it was."""
    person, token = link_holder(session, secret, now=now)
    token.revoked_at = now
    save_recorded(session, token, actor=person.actor, action="token.link_used")
    return person


def check_password(session: Session, email: str, password: str) -> Person:
    """The person with this email and password; ``NotSignedIn`` otherwise (same for both)."""
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    stored = person.password_hash if person is not None else None
    try:
        if stored is None:
            _hasher.hash(password)  # the same time spent whether or not the person exists
            raise VerificationError
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise NotSignedIn("wrong email or password") from None
    assert person is not None
    if person.disabled_at is not None:
        raise NotSignedIn("wrong email or password")
    return person


def set_disabled(
    *,
    session: Session,
    person_id: int,
    disabled: bool,
    by: Person | None,
    actor: str,
    now: datetime,
) -> Person:
    """Disable a person, or enable them again (a site admin's act, audited).

    Disabling stops them at once: every request signs in through ``signed_in``, which refuses
    a disabled person's tokens and sessions, and those are revoked too, so enabling the
    person later does not bring old credentials back; so are their calendar feed links
    (``scheduler.people.calendars``). Nobody disables themselves: a site admin locking
    themselves out is a mistake, not a decision. ``by`` is the person acting
    (``None``: the operator, on the command line); ``actor`` names them in the audit trail.
    """
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    if disabled and by is not None and person.id == by.id:
        raise Conflict("person: you cannot disable yourself; ask another site admin")
    if disabled and person.disabled_at is None:
        person.disabled_at = now
        revoked = _revoke_all(session, person_id, now=now)
        links = _revoke_calendar_links(session, person_id, now=now)
        save_recorded(
            session,
            person,
            actor=actor,
            action="person.disabled",
            after={"revoked": revoked, "calendar_links_revoked": links},
        )
    elif not disabled and person.disabled_at is not None:
        person.disabled_at = None
        save_recorded(session, person, actor=actor, action="person.enabled")
    return person


def change_password(
    *, session: Session, person: Person, current: str, new: str, now: datetime
) -> int:
    """Set ``person``'s password, given the current one; answers how many web sessions ended.

    Every web session of theirs ends (a changed password is often a suspected one); API
    tokens stay, since they are revoked one by one where they are used.
    """
    try:
        if person.password_hash is None:
            raise VerificationError
        _hasher.verify(person.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise Invalid("current_password", "is not your current password") from None
    if new == current:
        raise Invalid("new_password", "is the same as the current one")
    person.password_hash = _hasher.hash(new)
    ended = _revoke_all(session, person.id or 0, now=now, kind="session")
    save_recorded(
        session,
        person,
        actor=person.actor,
        action="person.password_changed",
        after={"ended": ended},
    )
    return ended


def _revoke_all(session: Session, person_id: int, *, now: datetime, kind: str | None = None) -> int:
    query = select(AccessToken).where(
        AccessToken.person_id == person_id, col(AccessToken.revoked_at).is_(None)
    )
    if kind is not None:
        query = query.where(AccessToken.kind == kind)
    tokens = list(session.exec(query))
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    return len(tokens)


def _revoke_calendar_links(session: Session, person_id: int, *, now: datetime) -> int:
    query = select(CalendarSubscription).where(
        CalendarSubscription.person_id == person_id, col(CalendarSubscription.revoked_at).is_(None)
    )
    links = list(session.exec(query))
    for link in links:
        link.revoked_at = now
        session.add(link)
    return len(links)
