"""The approval chain, the checklist and approving a schedule at once, over real HTTP, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.models import Approval, Delivery, Post, Role
from tests import factories
from tests.conftest import person_with_token
from tests.scheduler.api.test_listing_cost import statements
from tests.talent_contacts import Mailbox, api_link


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> dict[str, int]:
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=60))
    account = factories.outbox_account(session, tmp_path / "out.jsonl", production_ids=[pid])
    session.commit()
    return {"production": pid, "premiere": premiere, "account": account.id or 0}


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _in_review(client: httpx.Client, setup: dict[str, int], take: int = 1) -> dict[str, int]:
    body = {
        "production_id": setup["production"],
        "pillar": "on_set",
        "body": f"Night shift, take {take}.",
        "anchor": {
            "milestone_id": setup["premiere"],
            "offset": f"-P{take}D",
            "local_time": "18:00",
        },
        "account_ids": [setup["account"]],
    }
    post = client.post("/posts", json=body)
    assert post.status_code == 201, post.text
    post_id: int = post.json()["id"]
    client.post(f"/posts/{post_id}/submit", json={"version": 1})
    return {"id": post_id, "version": 1}


def _producer(client: httpx.Client, session: Session, pid: int, name: str) -> tuple[int, str]:
    token = person_with_token(
        session, name=name, email=f"{name}@nightshift.test", roles={pid: Role.producer}
    )
    person_id: int = client.get("/me", headers=_as(token)).json()["id"]
    return person_id, token


def test_a_chain_is_walked_step_by_step_and_recorded_with_the_approval(
    client: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    pid = setup["production"]
    lead = _producer(client, session, pid, "lead")
    legal_a = _producer(client, session, pid, "legal-a")
    legal_b = _producer(client, session, pid, "legal-b")
    chain = client.put(
        f"/productions/{pid}/chain",
        json={
            "steps": [
                {"name": "marketing lead", "mode": "any", "people": [lead[0]]},
                {"name": "studio legal", "mode": "all", "people": [legal_a[0], legal_b[0]]},
            ]
        },
    )
    assert chain.status_code == 200, chain.text
    post = _in_review(client, setup)
    url = f"/posts/{post['id']}/approve"
    seen = factories.shown(client, post["id"])

    early = client.post(url, json={"version": 1, "shown": seen}, headers=_as(legal_a[1]))
    assert early.status_code == 403  # the post waits for the marketing lead
    assert "marketing lead" in early.json()["detail"]

    assert client.post(url, json={"version": 1, "shown": seen}, headers=_as(lead[1])).json()[
        "status"
    ] == ("in_review")
    twice = client.post(url, json={"version": 1, "shown": seen}, headers=_as(legal_a[1]))
    assert twice.json()["status"] == "in_review"  # one of the two legal approvals
    again = client.post(url, json={"version": 1, "shown": seen}, headers=_as(legal_a[1]))
    assert again.status_code == 409
    final = client.post(url, json={"version": 1, "shown": seen}, headers=_as(legal_b[1]))

    assert final.status_code == 200, final.text
    assert final.json()["status"] == "approved"
    session.expire_all()
    approval = session.exec(select(Approval)).one()
    assert [step["step"] for step in approval.chain] == ["marketing lead", "studio legal"]
    assert sorted(approval.chain[1]["by"]) == [
        "legal-a <legal-a@nightshift.test>",
        "legal-b <legal-b@nightshift.test>",
    ]
    assert session.exec(select(Delivery)).one().status == "scheduled"


def test_the_checklist_is_confirmed_at_the_final_approval_and_stored(
    client: httpx.Client, approver: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    pid = setup["production"]
    items = client.put(
        f"/productions/{pid}/checklist",
        json={"items": ["Crew credited", "Music cleared", "No spoilers"]},
    ).json()
    post = _in_review(client, setup)
    url = f"/posts/{post['id']}/approve"
    seen = factories.shown(client, post["id"])
    half = {str(items[0]["id"]): True, str(items[1]["id"]): True}

    missing = approver.post(url, json={"version": 1, "shown": seen, "checklist": half})

    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "checklist", str(items[2]["id"])]
    assert "No spoilers" in missing.json()["errors"][0]["msg"]
    assert session.exec(select(Approval)).all() == []
    session.commit()
    everything = {str(item["id"]): True for item in items}
    done = approver.post(url, json={"version": 1, "shown": seen, "checklist": everything})
    assert done.status_code == 200, done.text
    session.expire_all()
    stored = session.exec(select(Approval)).one().checklist
    assert [(a["item"], a["confirmed"]) for a in stored] == [
        ("Crew credited", True),
        ("Music cleared", True),
        ("No spoilers", True),
    ]


def test_a_marketer_cannot_approve(
    client: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    post = _in_review(client, setup)
    marketer = person_with_token(
        session,
        name="mo",
        email="mo@nightshift.test",
        roles={setup["production"]: Role.marketer},
    )
    answer = client.post(
        f"/posts/{post['id']}/approve",
        json=factories.approve_body(client, post["id"]),
        headers=_as(marketer),
    )
    assert answer.status_code == 403
    session.expire_all()
    assert session.get_one(Post, post["id"]).status == "in_review"


def test_a_schedule_is_reviewed_per_platform_and_approved_in_one_action(
    client: httpx.Client, approver: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    pid = setup["production"]
    posts = [_in_review(client, setup, take) for take in (1, 2, 3)]

    shown = client.get(f"/productions/{pid}/review", params={"milestone_id": setup["premiere"]})

    assert shown.status_code == 200, shown.text
    listed = shown.json()
    assert [p["post_id"] for p in listed] == [p["id"] for p in posts]
    first = listed[0]["deliveries"][0]
    assert first["text"] == "Night shift, take 1."
    assert first["platform"] == "outbox"
    versions = {str(p["post_id"]): p["version"] for p in listed}
    seen = {str(d["delivery_id"]): d["shown"] for p in listed for d in p["deliveries"]}

    approved = approver.post(
        f"/productions/{pid}/review/approve", json={"versions": versions, "shown": seen}
    )

    assert approved.status_code == 200, approved.text
    assert {p["status"] for p in approved.json()} == {"approved"}
    session.expire_all()
    assert {d.status for d in session.exec(select(Delivery))} == {"scheduled"}


def test_reviewing_a_schedule_costs_as_many_statements_for_ten_posts_as_for_two(
    client: httpx.Client, engine: Engine, setup: dict[str, int]
) -> None:
    """Before, each post cost several statements of its own (its deliveries, its milestone,
    its votes, the chain): 66 for 10 posts where 2 took 18."""
    pid = setup["production"]
    for take in (1, 2):
        _in_review(client, setup, take)
    with statements(engine) as few:
        assert len(client.get(f"/productions/{pid}/review").json()) == 2
    for take in range(3, 11):
        _in_review(client, setup, take)

    with statements(engine) as many:
        listed = client.get(f"/productions/{pid}/review").json()

    assert len(listed) == 10
    assert len(many) == len(few), many


def test_a_schedule_with_one_changed_post_approves_nothing(
    client: httpx.Client, approver: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    pid = setup["production"]
    posts = [_in_review(client, setup, take) for take in (1, 2)]
    versions = {str(p["id"]): 1 for p in posts}
    seen = {k: v for p in posts for k, v in factories.shown(client, p["id"]).items()}
    edited = client.patch(
        f"/posts/{posts[1]['id']}", json={"version": 1, "body": "Night shift, take two."}
    )
    assert edited.status_code == 200, edited.text

    stale = approver.post(
        f"/productions/{pid}/review/approve", json={"versions": versions, "shown": seen}
    )

    assert stale.status_code == 409
    session.expire_all()
    assert session.exec(select(Approval)).all() == []
    assert {p.status for p in session.exec(select(Post))} == {"in_review"}


def test_featured_talent_must_sign_off_before_the_final_approval(
    client: httpx.Client,
    approver: httpx.Client,
    session: Session,
    setup: dict[str, int],
    mailbox: Mailbox,
) -> None:
    pid = setup["production"]
    ana = client.post(
        f"/productions/{pid}/talent",
        json={"name": "Ana Ruiz", "handle": "@anaruiz_sound", "email": "ana@agency.film"},
    ).json()
    body = {
        "production_id": pid,
        "pillar": "crew_spotlight",
        "body": "Ana Ruiz records the rain at 3am.",
        "featured": [ana["id"]],
        "anchor": {"milestone_id": setup["premiere"], "offset": "-P2D"},
        "account_ids": [setup["account"]],
    }
    post = client.post("/posts", json=body).json()
    assert post["featured"] == [ana["id"]]
    client.post(f"/posts/{post['id']}/submit", json={"version": 1})

    waiting = approver.post(
        f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"])
    )

    assert waiting.status_code == 409
    assert "Ana Ruiz" in waiting.json()["detail"]
    assert client.post(f"/posts/{post['id']}/signoffs").status_code == 201
    ((to, link),) = mailbox.links()  # the link went to Ana, not to whoever asked
    assert to == "ana@agency.film"
    with httpx.Client() as talent:  # no account, just the link
        assert talent.post(api_link(link), json={"decision": "approve"}).status_code == 200
    approved = approver.post(
        f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"])
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


def test_featuring_someone_of_another_production_is_refused(
    client: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    other = factories.production(session)
    session.commit()
    stranger = client.post(f"/productions/{other.id}/talent", json={"name": "Lee"}).json()
    body = {
        "production_id": setup["production"],
        "pillar": "crew_spotlight",
        "body": "Lee on set.",
        "featured": [stranger["id"]],
        "anchor": {"milestone_id": setup["premiere"], "offset": "-P2D"},
        "account_ids": [setup["account"]],
    }
    answer = client.post("/posts", json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "featured", "0"]


def test_a_new_chain_starts_reviews_in_progress_over(
    client: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    pid = setup["production"]
    lead = _producer(client, session, pid, "lead")
    legal = _producer(client, session, pid, "legal")
    two_steps = [
        {"name": "marketing lead", "people": [lead[0]]},
        {"name": "studio legal", "people": [legal[0]]},
    ]
    client.put(f"/productions/{pid}/chain", json={"steps": two_steps})
    post = _in_review(client, setup)
    url = f"/posts/{post['id']}/approve"
    seen = factories.shown(client, post["id"])
    assert (
        client.post(url, json={"version": 1, "shown": seen}, headers=_as(lead[1])).status_code
        == 200
    )

    replaced = client.put(
        f"/productions/{pid}/chain", json={"steps": [{"name": "legal only", "people": [legal[0]]}]}
    )

    assert replaced.status_code == 200, replaced.text
    steps = client.get(f"/productions/{pid}/review").json()[0]["steps"]
    assert steps == [{"name": "legal only", "approvers": [], "done": False}]
    final = client.post(url, json={"version": 1, "shown": seen}, headers=_as(legal[1]))
    assert final.json()["status"] == "approved"
