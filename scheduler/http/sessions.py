"""Web sessions: signing in with a password (or a one-time sign-in link) starts one, an
HttpOnly cookie; signing out ends every one of the person's. The API's ``/auth/login`` and
the pages' sign-in form both come here, so the limits on failed attempts and the cookie's
flags are the same for both.

The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (another site's form or
script never sends it with a POST) and ``Secure`` in production. It holds a token's secret;
only the token's hash is stored (``scheduler.people.members``).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response
from sqlmodel import Session, col, select

from scheduler.core.clock import machine_now
from scheduler.core.config import get_settings
from scheduler.core.models import AccessToken, Person
from scheduler.people import members
from scheduler.people.members import NotSignedIn
from scheduler.people.sign_in import SignInGuard

SESSION_COOKIE = "callsheet_session"


def start_session(session: Session, request: Request, email: str, password: str) -> str:
    """Check the password (failures limited per email and address: ``TooManyAttempts``) and
    issue a session token; the caller commits and sets the cookie with the secret returned."""
    guard: SignInGuard = request.app.state.sign_in_guard
    address = request.client.host if request.client else "unknown"
    guard.check(email, address)
    try:
        person = members.check_password(session, email, password)
    except NotSignedIn:
        guard.failed(email, address)
        raise
    return _open(session, person)


def start_session_from_link(session: Session, secret: str) -> str:
    """Use a one-time sign-in link up (``NotSignedIn`` if it does not work) and issue a
    session token for its person; the caller commits and sets the cookie."""
    person = members.redeem_sign_in_link(session=session, secret=secret, now=machine_now())
    return _open(session, person)


def _open(session: Session, person: Person) -> str:
    now = machine_now()
    issued = members.issue_token(
        session=session,
        person=person,
        name="web session",
        kind="session",
        expires_at=now + timedelta(hours=members.SESSION_HOURS),
        actor=person.actor,
        now=now,
    )
    return issued.secret


def set_session_cookie(response: Response, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=members.SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=get_settings().environment == "production",
    )


def end_sessions(session: Session, person: Person, response: Response) -> None:
    """End every web session of the person (API tokens are revoked one by one)."""
    for token in session.exec(
        select(AccessToken).where(
            AccessToken.person_id == person.id,
            AccessToken.kind == "session",
            col(AccessToken.revoked_at).is_(None),
        )
    ):
        members.revoke_token(
            session=session, token_id=token.id or 0, person=person, actor=person.actor
        )
    response.delete_cookie(SESSION_COOKIE)
