"""What fuzzing the API found, each as a plain request: bad input is a 4xx naming the field.

``test_fuzz.py`` finds these by luck of generation; these requests find them every time. Each
was a 500 before (SQLite: ``OverflowError`` binding a number past 64 bits; PostgreSQL: "integer
out of range", or psycopg refusing a NUL character in text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests import factories

HUGE = 10**35
#: One past the largest id PostgreSQL's INTEGER columns hold.
BEYOND_32_BITS = 2**31
NUL = "Night\u0000Shift"


def field_named(answer: httpx.Response, field: str) -> bool:
    """Whether a 422 names ``field`` in one of its errors' locations."""
    return any(field in error["loc"] for error in answer.json()["errors"])


def new_production(client: httpx.Client) -> int:
    made = client.post(
        "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/deliveries?offset={HUGE}", "offset"),
        (f"/audit?offset={HUGE}", "offset"),
        (f"/audit?production_id={-HUGE}", "production_id"),
    ],
)
def test_numbers_no_database_counts_to_in_a_query_are_a_422_naming_it(
    client: httpx.Client, path: str, field: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 422, answer.text
    assert field_named(answer, field)


@pytest.mark.parametrize("field", ["entity", "actor"])
def test_a_nul_character_in_a_query_is_a_422_naming_it(client: httpx.Client, field: str) -> None:
    answer = client.get("/audit", params={field: NUL})
    assert answer.status_code == 422, answer.text
    assert field_named(answer, field)


def test_a_person_id_no_table_holds_in_an_approval_chain_is_a_422_naming_people(
    client: httpx.Client,
) -> None:
    production_id = new_production(client)
    chain = {"steps": [{"name": "studio legal", "people": [HUGE]}]}
    answer = client.put(f"/productions/{production_id}/chain", json=chain)
    assert answer.status_code == 422, answer.text
    assert field_named(answer, "people")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/people", {"name": NUL, "email": "ana@nightshiftfilm.com", "site_admin": False}, "name"),
        ("/productions", {"title": NUL, "kind": "film", "timezone": "UTC"}, "title"),
    ],
)
def test_a_nul_character_in_text_is_a_422_naming_the_field(
    client: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert field_named(answer, field)


@pytest.mark.parametrize("field", ["account_ids", "featured"])
def test_ids_no_table_holds_in_a_posts_lists_are_a_422_naming_the_list(
    client: httpx.Client, engine: Engine, tmp_path: Path, field: str
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        production = factories.production(session)
        account = factories.outbox_account(session, tmp_path / "outbox")
        draft = factories.post(session, production.id or 0, [account])
        session.commit()
    new = {
        "production_id": production.id,
        "pillar": "on_set",
        "body": "Night shift, take one.",
        "anchor": {"at": "2027-01-01T10:00:00Z"},
        "account_ids": [account.id],
    }
    created = client.post("/posts", json={**new, field: [BEYOND_32_BITS]})
    edited = client.patch(
        f"/posts/{draft.id}", json={"version": draft.version, field: [BEYOND_32_BITS]}
    )
    for answer in (created, edited):
        assert answer.status_code == 422, answer.text
        assert field_named(answer, field)


#: Midnight of year 1 an hour east of UTC: in UTC it is still year 0, which no calendar has
#: (``OverflowError`` converting it).
ANCIENT = "0001-01-01T00:00:00+01:00"


def test_a_time_outside_the_years_anything_is_planned_is_a_422_naming_it(
    client: httpx.Client, engine: Engine, tmp_path: Path
) -> None:
    """Each answered 500 (an ``OverflowError`` converting the time to UTC)."""
    with Session(engine, expire_on_commit=False) as session:
        production = factories.production(session)
        account = factories.outbox_account(session, tmp_path / "outbox")
        draft = factories.post(session, production.id or 0, [account])
        session.commit()
    answers = {
        "latest_at": client.patch(
            f"/posts/{draft.id}", json={"version": draft.version, "latest_at": ANCIENT}
        ),
        "at": client.post(
            f"/productions/{production.id}/milestones",
            json={"kind": "wrap", "name": "Wrap", "at": ANCIENT},
        ),
        "starts_at": client.post(
            "/blackouts",
            json={"starts_at": ANCIENT, "ends_at": "2027-01-01T00:00:00Z", "reason": "x"},
        ),
    }
    for field, answer in answers.items():
        assert answer.status_code == 422, (field, answer.text)
        assert field_named(answer, field), answer.text


@pytest.mark.parametrize("field", ["pillar", "variables", "tags", "media", "featured"])
def test_an_edit_cannot_clear_what_every_post_has(
    client: httpx.Client, engine: Engine, tmp_path: Path, field: str
) -> None:
    """Found by the fuzz: ``PATCH /posts/{id}`` with ``"pillar": null`` answered 500 (the
    column is NOT NULL). Leaving a field out keeps it; null cannot clear it."""
    with Session(engine, expire_on_commit=False) as session:
        production = factories.production(session)
        account = factories.outbox_account(session, tmp_path / "outbox")
        draft = factories.post(session, production.id or 0, [account])
        session.commit()
    answer = client.patch(f"/posts/{draft.id}", json={"version": draft.version, field: None})
    assert answer.status_code == 422, answer.text
    assert field_named(answer, field)


def test_a_refused_value_is_not_echoed_back(client: httpx.Client) -> None:
    """A 422 names the field and says why, but never repeats what was sent: before, a sign-in
    with an over-long password answered with the password itself (pydantic's ``input``)."""
    secret = "hunter2-" * 200
    answer = client.post("/auth/login", json={"email": "dev@nightshift.studio", "password": secret})
    assert answer.status_code == 422
    assert field_named(answer, "password")
    assert "hunter2" not in answer.text
