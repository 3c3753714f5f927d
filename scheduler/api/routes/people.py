"""Signing in, tokens, people and who has which role in a production."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response, status
from pydantic import EmailStr, Field
from sqlmodel import Session, col, select

from scheduler.core.clock import machine_now
from scheduler.core.errors import NotFound
from scheduler.core.models import Membership, Person, Role
from scheduler.core.schemas import Id, Input, Moment, Output
from scheduler.http.access import Access, AccessDep, ActorDep
from scheduler.http.deps import SessionDep
from scheduler.http.sessions import SESSION_COOKIE, end_sessions, set_session_cookie, start_session
from scheduler.people import members as service
from scheduler.people.schemas import PasswordChange

router = APIRouter(tags=["people"])

DEFAULT_TOKEN_DAYS = 90


class Login(Input):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)


class PersonCreate(Input):
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    password: str | None = Field(default=None, max_length=1000)
    site_admin: bool = False


class PersonPublic(Output):
    id: int
    name: str
    email: str
    site_admin: bool
    disabled_at: datetime | None = Field(description="Set while the person cannot sign in")


class Me(PersonPublic):
    roles: dict[int, Role] = Field(description="Role per production id")


class TokenCreate(Input):
    name: str = Field(min_length=1, max_length=80, examples=["CI schedule import"])
    expires_at: Moment | None = Field(
        default=None, description=f"Default: {DEFAULT_TOKEN_DAYS} days from now"
    )


class TokenPublic(Output):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenPublic):
    token: str = Field(description="Shown once; only its hash is kept")


class MemberSet(Input):
    role: Role


class MemberPublic(Output):
    person_id: Id
    name: str
    email: str
    role: Role


@router.post("/auth/login", status_code=status.HTTP_204_NO_CONTENT)
def login(data: Login, session: SessionDep, request: Request, response: Response) -> None:
    """Start a web session: an HttpOnly cookie, valid for a working day. Failed sign-ins are
    limited per email and per address (429 with ``Retry-After``; ``scheduler.people.sign_in``)."""
    secret = start_session(session, request, data.email, data.password)
    session.commit()
    set_session_cookie(response, secret)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(access: AccessDep, session: SessionDep, response: Response) -> None:
    """End every web session of the caller (API tokens are revoked one by one)."""
    assert access.person is not None
    end_sessions(session, access.person, response)
    session.commit()


@router.get("/me")
def me(access: AccessDep) -> Me:
    assert access.person is not None
    return Me(**PersonPublic.model_validate(access.person).model_dump(), roles=access.roles)


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(data: TokenCreate, access: AccessDep, session: SessionDep) -> TokenIssued:
    """A new API token for the caller; the answer is the only time its secret is shown."""
    assert access.person is not None
    now = machine_now()
    issued = service.issue_token(
        session=session,
        person=access.person,
        name=data.name,
        expires_at=data.expires_at or now + timedelta(days=DEFAULT_TOKEN_DAYS),
        actor=access.actor,
        now=now,
    )
    session.commit()
    public = TokenPublic.model_validate(issued.token).model_dump()
    return TokenIssued(**public, token=issued.secret)


@router.get("/tokens")
def list_tokens(access: AccessDep, session: SessionDep) -> list[TokenPublic]:
    assert access.person is not None
    tokens = service.tokens_of(session, access.person.id or 0)
    return [TokenPublic.model_validate(t) for t in tokens]


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: Id, access: AccessDep, session: SessionDep) -> TokenPublic:
    """Revoke a token at once; the next request with it is a 401."""
    assert access.person is not None
    token = service.revoke_token(
        session=session, token_id=token_id, person=access.person, actor=access.actor
    )
    session.commit()
    return TokenPublic.model_validate(token)


@router.post("/people", status_code=status.HTTP_201_CREATED)
def create_person(data: PersonCreate, session: SessionDep, actor: ActorDep) -> PersonPublic:
    person = service.create_person(
        session=session,
        name=data.name,
        email=str(data.email),
        password=data.password,
        site_admin=data.site_admin,
        actor=actor,
    )
    session.commit()
    return PersonPublic.model_validate(person)


@router.get("/people")
def list_people(session: SessionDep) -> list[PersonPublic]:
    rows = session.exec(select(Person).order_by(col(Person.id)))
    return [PersonPublic.model_validate(p) for p in rows]


@router.post("/people/{person_id}/disable")
def disable_person(person_id: Id, access: AccessDep, session: SessionDep) -> PersonPublic:
    """Stop a person at once: their tokens and sessions no longer work, and are revoked."""
    return _set_disabled(person_id, True, access, session)


@router.post("/people/{person_id}/enable")
def enable_person(person_id: Id, access: AccessDep, session: SessionDep) -> PersonPublic:
    """Let a disabled person sign in again (with a new session or token)."""
    return _set_disabled(person_id, False, access, session)


def _set_disabled(person_id: int, disabled: bool, access: Access, session: Session) -> PersonPublic:
    assert access.person is not None  # the policy lets site admins only
    person = service.set_disabled(
        session=session,
        person_id=person_id,
        disabled=disabled,
        by=access.person,
        actor=access.person.actor,
        now=machine_now(),
    )
    session.commit()
    return PersonPublic.model_validate(person)


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    data: PasswordChange, access: AccessDep, session: SessionDep, response: Response
) -> None:
    """Change your own password, given the current one; every web session of yours ends."""
    assert access.person is not None  # the policy lets signed-in people only
    person = session.get(Person, access.person.id)
    assert person is not None
    service.change_password(
        session=session,
        person=person,
        current=data.current_password,
        new=data.new_password,
        now=machine_now(),
    )
    session.commit()
    response.delete_cookie(SESSION_COOKIE)


@router.get("/productions/{production_id}/members")
def list_members(production_id: Id, session: SessionDep) -> list[MemberPublic]:
    rows = session.exec(
        select(Membership, Person)
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(Membership.production_id == production_id)
        .order_by(col(Person.name))
    )
    return [
        MemberPublic(person_id=p.id or 0, name=p.name, email=p.email, role=Role(m.role))
        for m, p in rows
    ]


@router.put("/productions/{production_id}/members/{person_id}")
def set_member(
    production_id: Id, person_id: Id, data: MemberSet, session: SessionDep, actor: ActorDep
) -> MemberPublic:
    """Give a person a role in the production, or change it."""
    service.set_role(
        session=session,
        production_id=production_id,
        person_id=person_id,
        role=data.role,
        actor=actor,
    )
    session.commit()
    person = session.get(Person, person_id)
    assert person is not None
    return MemberPublic(person_id=person_id, name=person.name, email=person.email, role=data.role)


@router.delete("/productions/{production_id}/members/{person_id}", status_code=204)
def remove_member(production_id: Id, person_id: Id, session: SessionDep, actor: ActorDep) -> None:
    found = session.exec(
        select(Membership).where(
            Membership.production_id == production_id, Membership.person_id == person_id
        )
    ).first()
    if found is None:
        raise NotFound("member", person_id)
    service.set_role(
        session=session, production_id=production_id, person_id=person_id, role=None, actor=actor
    )
    session.commit()
