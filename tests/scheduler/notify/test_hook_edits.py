"""Editing a notification hook (``PATCH``, a production's and a global one), over real HTTP on
SQLite and PostgreSQL: a new URL, events and signing secret take effect for the next message;
a forbidden URL or a bad value is a 422 naming the field and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from scheduler.core.config import Settings, get_settings
from scheduler.core.models import AuditEvent, Role
from scheduler.notify.sending import SendReport
from tests import factories
from tests.conftest import person_with_token
from tests.scheduler.notify.test_notifications import (  # noqa: F401 (fixtures)
    Receiver,
    receiver,
    send,
    settings,
)

ELSEWHERE = "https://hooks.example.test/services/T9/B9/old-token"


@pytest.fixture
def no_private_targets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
    get_settings.cache_clear()


def _hook(client: httpx.Client, production_id: int | None, **body: Any) -> dict[str, Any]:
    path = (
        f"/productions/{production_id}/notification-hooks"
        if production_id is not None
        else "/notification-hooks"
    )
    made = client.post(path, json={"url": ELSEWHERE, "secret": "old-secret-0123456789abcd", **body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_new_url_events_and_secret_carry_the_next_message(
    client: httpx.Client,
    session: Session,
    engine: Any,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    hook = _hook(client, pid, events=["approved"])

    answer = client.patch(
        f"/productions/{pid}/notification-hooks/{hook['id']}",
        json={"url": receiver.url, "secret": receiver.secret, "events": ["submitted", "approved"]},
    )

    assert answer.status_code == 200, answer.text
    [listed] = client.get(f"/productions/{pid}/notification-hooks").json()
    assert (listed["target"], listed["events"]) == (
        receiver.url.split("/services")[0] + "/…",
        ["submitted", "approved"],
    )
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200
    assert send(engine, settings) == SendReport(sent=1)
    assert [(r.signed, r.payload["callsheet"]["event"]) for r in receiver.received] == [
        (True, "submitted")
    ]
    [event] = session.exec(
        select(AuditEvent).where(AuditEvent.action == "notification_hook.changed")
    )
    assert event.after == {
        "target": listed["target"],
        "events": ["submitted", "approved"],
        "secret_rotated": True,
    }
    assert receiver.secret not in str(event.after) + str(event.before)
    assert "channel-token" not in str(event.after) + str(event.before)


def test_a_global_hook_is_edited_on_its_own_route(client: httpx.Client) -> None:
    hook = _hook(client, None)

    answer = client.patch(f"/notification-hooks/{hook['id']}", json={"events": ["failed"]})

    assert answer.status_code == 200, answer.text
    assert [h["events"] for h in client.get("/notification-hooks").json()] == [["failed"]]


def test_an_internal_url_is_a_422_and_the_hook_keeps_its_own(
    client: httpx.Client, session: Session, no_private_targets: None
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    session.commit()
    # A public address that needs no name lookup (the tests run without DNS).
    hook = _hook(client, pid, url="https://93.184.216.34/in")

    answer = client.patch(
        f"/productions/{pid}/notification-hooks/{hook['id']}",
        json={"url": "http://169.254.169.254/latest/meta-data/"},
    )

    assert answer.status_code == 422, answer.text
    problem = answer.json()["errors"][0]
    assert "url" in problem["loc"]
    assert "169.254.169.254 is a link-local address" in problem["msg"]
    assert client.get(f"/productions/{pid}/notification-hooks").json() == [hook]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"events": []}, "events"),
        ({"events": ["gossip"]}, "events"),
        ({"secret": "short-secret"}, "secret"),
        ({"url": "ftp://hooks.example.test/in"}, "url"),
        ({"url": None}, "url"),
        ({"name": "crew"}, "name"),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field_and_changes_nothing(
    client: httpx.Client, session: Session, change: dict[str, Any], field: str
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    session.commit()
    hook = _hook(client, pid)

    answer = client.patch(f"/productions/{pid}/notification-hooks/{hook['id']}", json=change)

    assert answer.status_code == 422, answer.text
    assert field in [str(part) for part in answer.json()["errors"][0]["loc"]]
    assert "short-secret" not in answer.text
    assert client.get(f"/productions/{pid}/notification-hooks").json() == [hook]


def test_another_productions_hook_is_not_found_and_a_producer_may_not_edit(
    client: httpx.Client, session: Session
) -> None:
    ours = factories.production(session)
    theirs = factories.production(session)
    session.commit()
    their_hook = _hook(client, theirs.id)
    producer = person_with_token(
        session, name="Pat", email="pat@nightshift.test", roles={ours.id or 0: Role.producer}
    )

    across = client.patch(
        f"/productions/{ours.id}/notification-hooks/{their_hook['id']}", json={"events": ["held"]}
    )
    by_producer = httpx.patch(
        f"{client.base_url}/productions/{ours.id}/notification-hooks/{their_hook['id']}",
        json={"events": ["held"]},
        headers={"Authorization": f"Bearer {producer}"},
    )

    assert (across.status_code, by_producer.status_code) == (404, 403)
    assert client.get(f"/productions/{theirs.id}/notification-hooks").json() == [their_hook]
