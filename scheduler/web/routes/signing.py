"""Signing in and out, and changing one's password, on pages.

The same web session as the API's ``/auth/login`` (``scheduler.http.sessions``): the same
limits on failed attempts, the same cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from scheduler.core.clock import machine_now
from scheduler.core.errors import Invalid, TooManyAttempts
from scheduler.core.models import Person
from scheduler.http.access import AccessDep
from scheduler.http.deps import SessionDep
from scheduler.http.sessions import (
    end_sessions,
    set_session_cookie,
    start_session,
    start_session_from_link,
)
from scheduler.people import members
from scheduler.people.members import NotSignedIn
from scheduler.people.schemas import PasswordChange
from scheduler.web.forms import FormDep, validated
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)


def _next(target: str | None) -> str:
    """Where to go after signing in: a page of ours, never another site (``//evil.test``)."""
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//"):
        return target
    return f"{PREFIX}/"


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return page(request, "sign_in.html", next=_next(next), email="", error=None)


@router.post("/sign-in")
def sign_in(request: Request, form: FormDep, session: SessionDep) -> Response:
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    target = _next(str(form.get("next", "")))
    if not email or not password:
        return page(
            request,
            "sign_in.html",
            status_code=422,
            next=target,
            email=email,
            error="Enter your email and your password.",
        )
    try:
        secret = start_session(session, request, email, password)
    except NotSignedIn:
        error, status = "That email and password do not match a person here.", 401
    except TooManyAttempts as refused:
        error, status = refused.message, 429
    else:
        session.commit()
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, secret)
        return response
    return page(request, "sign_in.html", status_code=status, next=target, email=email, error=error)


@router.get("/sign-in/link/{token}")
def sign_in_link_page(
    token: Annotated[str, Path(max_length=200)],
    request: Request,
    session: SessionDep,
    next: str | None = None,
) -> Response:
    """A one-time sign-in link (``callsheet up --sign-in-link``) asks before it is used up:
    a link preview or a mail scanner that fetches it signs no one in."""
    try:
        person, _token = members.link_holder(session, token, now=machine_now())
    except NotSignedIn as refused:
        return page(
            request,
            "sign_in.html",
            status_code=401,
            next=_next(next),
            email="",
            error=refused.message,
        )
    return page(request, "sign_in_link.html", holder=person, next=_next(next))


@router.post("/sign-in/link/{token}")
def sign_in_by_link(
    token: Annotated[str, Path(max_length=200)],
    request: Request,
    form: FormDep,
    session: SessionDep,
) -> Response:
    try:
        secret = start_session_from_link(session, token)
    except NotSignedIn as refused:
        return page(
            request,
            "sign_in.html",
            status_code=401,
            next=f"{PREFIX}/",
            email="",
            error=refused.message,
        )
    session.commit()
    response = RedirectResponse(_next(str(form.get("next", ""))), status_code=303)
    set_session_cookie(response, secret)
    return response


def _refused(request: Request, refused: NotSignedIn, target: str) -> Response:
    """A link that does not work leads to the sign-in form, saying why."""
    return page(
        request, "sign_in.html", status_code=401, next=target, email="", error=refused.message
    )


@router.post("/sign-out")
def sign_out(form: FormDep, access: AccessDep, session: SessionDep) -> Response:
    assert access.person is not None
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    end_sessions(session, access.person, response)
    session.commit()
    return response


@router.get("/password")
def password_page(request: Request, access: AccessDep, session: SessionDep) -> Response:
    return page(request, "password.html", session=session, access=access, errors={})


@router.post("/password")
def change_password(
    request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Change one's password; every web session ends, this one too, so sign in again."""
    assert access.person is not None
    person = session.get(Person, access.person.id)
    assert person is not None
    data = validated(PasswordChange, form, leave_out=("repeat_password",))
    errors: dict[str, str] = {}
    if isinstance(data, dict):
        errors = data
    elif str(form.get("repeat_password", "")) != data.new_password:
        errors = {"repeat_password": "the two new passwords differ"}
    else:
        try:
            members.change_password(
                session=session,
                person=person,
                current=data.current_password,
                new=data.new_password,
                now=machine_now(),
            )
        except Invalid as refused:
            errors = {refused.field: refused.message}
    if errors:
        return page(
            request,
            "password.html",
            session=session,
            access=access,
            status_code=422,
            errors=errors,
        )
    session.commit()
    response = RedirectResponse(f"{PREFIX}/sign-in?changed=1", status_code=303)
    end_sessions(session, person, response)
    session.commit()
    return response
