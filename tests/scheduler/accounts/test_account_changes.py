"""Editing an account a person connected (``PATCH /accounts/{id}``), over real HTTP on SQLite
and PostgreSQL: each field seen in the list afterwards, bad values refused by name, secrets
left to the credentials route, a rename sending approved posts back to review, and who may."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from scheduler.core.config import get_settings
from scheduler.core.models import AuditEvent, Delivery, Post, Role
from tests import factories
from tests.conftest import person_with_token

TOKEN = "token-0123456789abcdef"


@pytest.fixture
def no_private_targets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
    get_settings.cache_clear()


#: A public address that needs no name lookup (the tests run without DNS).
SERVER = "https://93.184.216.34"


def _mastodon(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    answer = client.post(
        "/accounts",
        json={
            "platform": "mastodon",
            "handle": "@crew@mastodon.social",
            "settings": {"base_url": SERVER, "access_token": TOKEN},
            **extra,
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _listed(client: httpx.Client, account_id: int) -> dict[str, Any]:
    [found] = [a for a in client.get("/accounts").json() if a["id"] == account_id]
    return dict(found)


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"handle": "@unit@mastodon.social"}, {"handle": "@unit@mastodon.social"}),
        ({"audience_timezone": "Asia/Tokyo"}, {"audience_timezone": "Asia/Tokyo"}),
        (
            {"quiet_start": "22:30", "quiet_end": "06:15"},
            {"quiet_start": "22:30:00", "quiet_end": "06:15:00"},
        ),
        (
            {"settings": {"base_url": "https://mastodon.art"}},
            {"settings": {"base_url": "https://mastodon.art", "access_token": "********"}},
        ),
    ],
)
def test_each_field_changes_alone_and_is_listed_and_audited(
    client: httpx.Client, session: Session, change: dict[str, Any], shown: dict[str, Any]
) -> None:
    account = _mastodon(
        client,
        audience_timezone="America/New_York",
        quiet_start="23:00",
        quiet_end="07:00",
    )

    answer = client.patch(f"/accounts/{account['id']}", json=change)

    assert answer.status_code == 200, answer.text
    listed = _listed(client, account["id"])
    assert {name: listed[name] for name in shown} == shown
    untouched = {k: v for k, v in account.items() if k not in shown}
    assert {k: listed[k] for k in untouched} == untouched
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "account.changed"))
    assert event.entity_id == account["id"]
    assert set(event.after or {}) == set(change)
    assert TOKEN not in str(event.after)


def test_quiet_hours_are_cleared_with_null_for_both(client: httpx.Client) -> None:
    account = _mastodon(client, quiet_start="23:00", quiet_end="07:00")

    answer = client.patch(
        f"/accounts/{account['id']}", json={"quiet_start": None, "quiet_end": None}
    )

    assert answer.status_code == 200, answer.text
    assert (answer.json()["quiet_start"], answer.json()["quiet_end"]) == (None, None)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"handle": ""}, "handle", "at least 1 character"),
        ({"handle": None}, "handle", "may not be null"),
        ({"audience_timezone": "Mars/Olympus"}, "audience_timezone", ""),
        ({"quiet_start": "25:00"}, "quiet_start", ""),
        ({"quiet_start": None}, "quiet_start", "both ends"),
        ({"quiet_end": "23:00"}, "quiet_end", "another time"),
        ({"settings": {"base_url": "not a url"}}, "settings.base_url", ""),
        ({"settings": {"colour": "red"}}, "settings.colour", "not a setting"),
        (
            {"settings": {"access_token": "stolen-0123456789"}},
            "settings.access_token",
            "/credentials",
        ),
        ({"settings": None}, "settings", "may not be null"),
        ({"platform": "x"}, "platform", "Extra inputs"),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field_and_changes_nothing(
    client: httpx.Client, change: dict[str, Any], field: str, words: str
) -> None:
    account = _mastodon(client, audience_timezone="UTC", quiet_start="23:00", quiet_end="07:00")

    answer = client.patch(f"/accounts/{account['id']}", json=change)

    assert answer.status_code == 422, answer.text
    problem = answer.json()["errors"][0]
    assert ".".join(str(part) for part in problem["loc"]).endswith(field)
    assert words in problem["msg"]
    assert _listed(client, account["id"]) == account


def test_a_settings_url_goes_through_the_egress_policy(
    client: httpx.Client, no_private_targets: None
) -> None:
    account = _mastodon(client)

    answer = client.patch(
        f"/accounts/{account['id']}", json={"settings": {"base_url": "http://10.1.2.3"}}
    )

    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert problem["loc"][-1] == "settings.base_url" or "base_url" in str(problem["loc"])
    assert "10.1.2.3 is a private address" in problem["msg"]
    assert _listed(client, account["id"])["settings"]["base_url"] == SERVER


def test_a_handle_another_account_has_is_a_409(client: httpx.Client) -> None:
    first = _mastodon(client)
    second = client.post(
        "/accounts",
        json={
            "platform": "mastodon",
            "handle": "@other@mastodon.social",
            "settings": {"base_url": SERVER, "access_token": TOKEN},
        },
    ).json()

    answer = client.patch(f"/accounts/{second['id']}", json={"handle": first["handle"]})

    assert answer.status_code == 409, answer.text
    assert "exists already" in answer.json()["detail"]


def test_a_new_handle_sends_approved_posts_back_to_review(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    """The approval bound the old handle (it is in every delivery's content hash, and a
    template may print it): rather than be held at publish time, the post goes back now."""
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    other = factories.outbox_account(session, tmp_path / "other.jsonl", "@elsewhere")
    post = factories.approved_post(session, production.id or 0, [account, other])
    session.commit()
    version = post.version

    answer = client.patch(f"/accounts/{account.id}", json={"handle": "@nightshift_film"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["back_to_review"] == [post.id]
    session.expire_all()
    again = session.get_one(Post, post.id)
    assert again.status == "in_review"
    assert again.version == version + 1
    assert "@nightshiftfilm is now @nightshift_film" in (again.review_note or "")
    statuses = {
        d.account_id: (d.status, d.approval_id is None)
        for d in session.exec(select(Delivery).where(Delivery.post_id == post.id))
    }
    assert statuses == {account.id: ("pending", True), other.id: ("scheduled", False)}


def test_new_quiet_hours_leave_approved_deliveries_at_their_time(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    post = factories.approved_post(session, production.id or 0, [account])
    session.commit()
    delivery = session.exec(select(Delivery).where(Delivery.post_id == post.id)).one()
    before = ("scheduled", delivery.due_at, delivery.approval_id)
    session.commit()  # end the reading transaction: on SQLite it holds the write lock

    answer = client.patch(
        f"/accounts/{account.id}",
        json={"audience_timezone": "UTC", "quiet_start": "00:00", "quiet_end": "23:59"},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["back_to_review"] == []
    session.expire_all()
    after = session.exec(select(Delivery).where(Delivery.post_id == post.id)).one()
    assert (after.status, after.due_at, after.approval_id) == before


def test_only_an_admin_of_every_production_it_serves_may_edit(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    ours = factories.production(session)
    theirs = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[ours.id or 0]
    )
    session.commit()
    callers = {
        "marketer": person_with_token(
            session, name="Mo", email="mo@nightshift.test", roles={ours.id or 0: Role.marketer}
        ),
        "their admin": person_with_token(
            session, name="Ty", email="ty@dawn.test", roles={theirs.id or 0: Role.admin}
        ),
        "our admin": person_with_token(
            session, name="Ada", email="ada@nightshift.test", roles={ours.id or 0: Role.admin}
        ),
    }
    answers = {}
    for caller, token in callers.items():
        answers[caller] = httpx.patch(
            f"{client.base_url}/accounts/{account.id}",
            json={"handle": f"@by-{caller.replace(' ', '-')}"},
            headers={"Authorization": f"Bearer {token}"},
        ).status_code

    assert answers == {"marketer": 403, "their admin": 403, "our admin": 200}
    assert _listed(client, account.id or 0)["handle"] == "@by-our-admin"


def test_a_removed_account_cannot_be_edited(client: httpx.Client) -> None:
    account = _mastodon(client)
    assert client.delete(f"/accounts/{account['id']}").status_code == 200

    answer = client.patch(f"/accounts/{account['id']}", json={"handle": "@back"})

    assert answer.status_code == 404, answer.text
