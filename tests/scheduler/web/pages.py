"""Signing in to the pages as a person would: a browser-like client that keeps cookies, reads
the form token from the page it was given, and posts forms."""

from __future__ import annotations

import re

import httpx
from sqlmodel import Session

from scheduler.core.models import Role
from scheduler.people.members import create_person, set_role

PASSWORD = "a long enough password"
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def member(
    session: Session, email: str, *, name: str, roles: dict[int, Role], site_admin: bool = False
) -> None:
    """A person who signs in with ``PASSWORD``, with a role in each production given."""
    person = create_person(
        session=session,
        name=name,
        email=email,
        password=PASSWORD,
        site_admin=site_admin,
        actor="test",
    )
    for production_id, role in roles.items():
        set_role(
            session=session,
            production_id=production_id,
            person_id=person.id or 0,
            role=role,
            actor="test",
        )
    session.commit()


def form_token(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, f"no form token on {page.url}"
    return found.group(1)


def browser(base_url: str | httpx.URL) -> httpx.Client:
    """A client with no API token: it signs in like a browser, with cookies."""
    return httpx.Client(base_url=base_url)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/app/sign-in")
    return client.post(
        "/app/sign-in",
        data={"csrf": form_token(page), "email": email, "password": password, "next": "/app/"},
    )
