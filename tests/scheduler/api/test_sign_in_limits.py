"""Password guesses are limited per email and per address, over real HTTP, on both databases.

Before, twenty wrong passwords and then the right one were all answered (the last with a
session): a password could be guessed at the API's full speed.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
import redis
from sqlmodel import Session

from scheduler.core.errors import TooManyAttempts
from scheduler.people.members import create_person
from scheduler.people.sign_in import PER_ADDRESS, PER_PERSON, SignInGuard
from tests.conftest import REDIS_URL

PASSWORD = "correct horse battery staple"


def _person(session: Session, email: str) -> None:
    create_person(
        session=session, name="Dev", email=email, password=PASSWORD, site_admin=False, actor="t"
    )
    session.commit()


def test_guessing_one_persons_password_stops_at_the_limit(
    client: httpx.Client, session: Session
) -> None:
    _person(session, "dev@nightshift.studio")
    wrong = {"email": "dev@nightshift.studio", "password": "incorrect horse"}
    for _ in range(PER_PERSON.amount):
        assert client.post("/auth/login", json=wrong).status_code == 401

    refused = client.post("/auth/login", json={**wrong, "password": PASSWORD})

    assert refused.status_code == 429, refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= PER_PERSON.get_expiry()
    assert "callsheet_session" not in refused.cookies
    assert refused.json()["detail"].startswith("too many failed sign-ins for this person")


def test_one_address_guessing_many_people_stops_at_its_limit(
    client: httpx.Client, session: Session
) -> None:
    _person(session, "lead@nightshift.studio")
    for n in range(PER_ADDRESS.amount):
        guess = {"email": f"crew{n}@nightshift.studio", "password": "Summer2026!"}
        assert client.post("/auth/login", json=guess).status_code == 401

    refused = client.post(
        "/auth/login", json={"email": "lead@nightshift.studio", "password": PASSWORD}
    )

    assert refused.status_code == 429
    assert "address" in refused.json()["detail"]


def test_a_right_password_within_the_limit_signs_in(client: httpx.Client, session: Session) -> None:
    _person(session, "dev@nightshift.studio")
    wrong = {"email": "dev@nightshift.studio", "password": "incorrect horse"}
    for _ in range(PER_PERSON.amount - 1):
        client.post("/auth/login", json=wrong)
    right = client.post("/auth/login", json={**wrong, "password": PASSWORD})
    assert right.status_code == 204
    assert right.cookies.get("callsheet_session")


def test_api_processes_share_the_counts_on_redis() -> None:
    """Two guards (two API processes) on one Redis: the second sees the first's failures."""
    namespace = f"sign-in:test-{uuid.uuid4().hex[:8]}"
    first = SignInGuard(REDIS_URL, namespace=namespace)
    second = SignInGuard(REDIS_URL, namespace=namespace)
    try:
        for _ in range(PER_PERSON.amount):
            first.failed("dev@nightshift.studio", "10.0.0.1")
        with pytest.raises(TooManyAttempts) as refused:
            second.check("Dev@NightShift.studio ", "10.0.0.2")
        assert refused.value.retry_after > 0
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{namespace}*"):
            client.delete(key)
        client.close()
