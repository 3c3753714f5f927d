"""What a person plans can be changed and removed, over HTTP on both databases: a milestone's
name and kind, a milestone nothing hangs off, embargoes and blackouts. Each change is audited,
refused by name when it would break something, and checked by the access policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.models import AuditEvent, Post, Role
from tests import factories
from tests.conftest import person_with_token

PREMIERE = "2027-03-01T19:00:00Z"


@pytest.fixture
def plan(client: httpx.Client, session: Session, tmp_path: Path) -> dict[str, int]:
    production = client.post(
        "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    milestone = client.post(
        f"/productions/{production['id']}/milestones",
        json={"kind": "premiere", "name": "Premiere", "at": PREMIERE},
    ).json()
    account = factories.outbox_account(
        session, tmp_path / "out.jsonl", production_ids=[production["id"]]
    )
    session.commit()
    return {
        "production": production["id"],
        "milestone": milestone["id"],
        "account": account.id or 0,
    }


def _approved(client: httpx.Client, approver: httpx.Client, plan: dict[str, int], body: str) -> int:
    created = client.post(
        "/posts",
        json={
            "production_id": plan["production"],
            "pillar": "countdown",
            "body": body,
            "anchor": {"milestone_id": plan["milestone"], "offset": "-P7D", "local_time": "18:00"},
            "account_ids": [plan["account"]],
        },
    )
    assert created.status_code == 201, created.text
    post_id = int(created.json()["id"])
    assert client.post(f"/posts/{post_id}/submit", json={"version": 1}).status_code == 200
    approved = approver.post(
        f"/posts/{post_id}/approve", json=factories.approve_body(approver, post_id)
    )
    assert approved.status_code == 200, approved.text
    return post_id


def _events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_renaming_a_milestone_sends_back_only_the_posts_that_print_its_name(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    names_it = _approved(client, approver, plan, "One week to {{ milestone.name }}!")
    silent = _approved(client, approver, plan, "One week to go.")
    url = f"/productions/{plan['production']}/milestones/{plan['milestone']}"
    renamed = client.patch(url, json={"name": "World Premiere", "kind": "release"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["milestone"]["name"] == "World Premiere"
    assert renamed.json()["milestone"]["kind"] == "release"
    with Session(engine) as s:
        assert s.get(Post, names_it).status == "in_review"  # type: ignore[union-attr]
        assert s.get(Post, silent).status == "approved"  # type: ignore[union-attr]
    (event,) = _events(engine, "milestone.moved")
    assert (event.before or {})["name"] == "Premiere"
    assert (event.after or {})["name"] == "World Premiere"
    client.post(
        f"/productions/{plan['production']}/milestones",
        json={"kind": "trailer", "name": "Trailer", "at": PREMIERE},
    )
    taken = client.patch(url, json={"name": "Trailer"})
    assert taken.status_code == 409
    assert "Trailer" in taken.json()["detail"]


def test_a_milestone_is_removed_only_when_nothing_hangs_off_it(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    _approved(client, approver, plan, "One week to go.")
    url = f"/productions/{plan['production']}/milestones/{plan['milestone']}"
    anchored = client.delete(url)
    assert anchored.status_code == 409
    assert "1 post(s) anchored to it" in anchored.json()["detail"]
    spare = client.post(
        f"/productions/{plan['production']}/milestones",
        json={"kind": "wrap", "name": "Wrap", "at": PREMIERE},
    ).json()
    spare_url = f"/productions/{plan['production']}/milestones/{spare['id']}"
    client.post(
        f"/productions/{plan['production']}/embargoes",
        json={"tag": "spoiler", "milestone_id": spare["id"]},
    )
    assert "embargo" in client.delete(spare_url).json()["detail"]
    (rule,) = client.get(f"/productions/{plan['production']}/embargoes").json()
    removed = client.delete(f"/productions/{plan['production']}/embargoes/{rule['id']}")
    assert removed.status_code == 204
    assert client.delete(spare_url).status_code == 204
    names = [m["name"] for m in client.get(f"/productions/{plan['production']}/milestones").json()]
    assert names == ["Premiere"]
    (event,) = _events(engine, "milestone.removed")
    assert (event.before or {})["name"] == "Wrap"
    assert client.delete(spare_url).status_code == 404


def test_an_embargo_is_changed_checked_and_audited(
    client: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    base = f"/productions/{plan['production']}/embargoes"
    rule = client.post(base, json={"tag": "casting", "milestone_id": plan["milestone"]}).json()
    changed = client.patch(f"{base}/{rule['id']}", json={"offset": "+P7D", "tag": "spoiler"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["offset"], changed.json()["tag"]) == ("+P7D", "spoiler")
    (event,) = _events(engine, "embargo.changed")
    assert event.before == {"offset": "PT0S", "tag": "casting"}
    bad: list[tuple[dict[str, Any], str]] = [
        ({"offset": "a week"}, "offset"),
        ({"milestone_id": 99999}, "milestone_id"),
        ({"tag": None}, "tag"),
    ]
    for body, field in bad:
        refused = client.patch(f"{base}/{rule['id']}", json=body)
        assert refused.status_code == 422, body
        assert field in str(refused.json()["detail"])
    other = client.post(
        "/productions", json={"title": "Other", "kind": "film", "timezone": "UTC"}
    ).json()
    elsewhere = client.patch(f"/productions/{other['id']}/embargoes/{rule['id']}", json={})
    assert elsewhere.status_code == 404
    assert client.get(base).json()[0]["offset"] == "+P7D"


def test_a_blackout_is_changed_and_removed_by_those_it_belongs_to(
    client: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    made = client.post(
        "/blackouts",
        json={
            "production_id": plan["production"],
            "starts_at": "2027-02-01T00:00:00Z",
            "ends_at": "2027-02-02T00:00:00Z",
            "reason": "Press junket",
        },
    ).json()
    url = f"/blackouts/{made['id']}"
    backwards = client.patch(url, json={"ends_at": "2027-01-01T00:00:00Z"})
    assert backwards.status_code == 422
    assert "ends_at" in str(backwards.json()["detail"])
    longer = client.patch(url, json={"ends_at": "2027-02-03T00:00:00+01:00", "reason": "Junket"})
    assert longer.status_code == 200, longer.text
    assert (longer.json()["ends_at"], longer.json()["reason"]) == ("2027-02-02T23:00:00Z", "Junket")
    assert client.delete(url).status_code == 204
    assert client.get("/blackouts").json() == []
    assert [e.action for e in _events(engine, "blackout.removed")] == ["blackout.removed"]
    assert client.delete(url).status_code == 404


def test_people_of_one_production_cannot_change_anothers_or_a_global_blackout(
    client: httpx.Client, session: Session, plan: dict[str, int]
) -> None:
    other = client.post(
        "/productions", json={"title": "Other", "kind": "film", "timezone": "UTC"}
    ).json()
    windows = [
        client.post(
            "/blackouts",
            json={
                "starts_at": "2027-02-01T00:00:00Z",
                "ends_at": "2027-02-02T00:00:00Z",
                "reason": reason,
                **extra,
            },
        ).json()
        for reason, extra in (("global", {}), ("other", {"production_id": other["id"]}))
    ]
    secret = person_with_token(
        session, name="Pia", email="pia@studio.test", roles={plan["production"]: Role.producer}
    )
    session.commit()
    producer = {"Authorization": f"Bearer {secret}"}
    for window in windows:
        url = f"{client.base_url}/blackouts/{window['id']}"
        assert httpx.patch(url, json={"reason": "mine"}, headers=producer).status_code == 403
        assert httpx.delete(url, headers=producer).status_code == 403
    assert {b["reason"] for b in client.get("/blackouts").json()} == {"global", "other"}
