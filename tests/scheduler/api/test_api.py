"""The HTTP API on both databases: the happy path, and bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from scheduler.core.models import Approval, AuditEvent, Delivery, Post
from tests import factories
from tests.conftest import APPROVER_ACTOR, CLIENT_ACTOR

PREMIERE = "2027-03-01T19:00:00+00:00"


@pytest.fixture
def plan(client: httpx.Client, tmp_path: Path) -> dict[str, int]:
    production = client.post(
        "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    milestone = client.post(
        f"/productions/{production['id']}/milestones",
        json={"kind": "premiere", "name": "Premiere", "at": PREMIERE},
    ).json()
    account = client.post(
        "/accounts",
        json={
            "platform": "outbox",
            "handle": "@nightshiftfilm",
            "settings": {"path": str(tmp_path / "out.jsonl")},
            "production_ids": [production["id"]],
        },
    ).json()
    return {"production": production["id"], "milestone": milestone["id"], "account": account["id"]}


def _post(plan: dict[str, int], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "production_id": plan["production"],
        "pillar": "countdown",
        "template": "premiere_countdown",
        "variables": {"days_to_go": 14, "event": "the premiere"},
        "anchor": {"milestone_id": plan["milestone"], "offset": "-P14D", "local_time": "18:00"},
        "account_ids": [plan["account"]],
    }
    body.update(changes)
    return body


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Post)).one(),
            s.exec(select(func.count()).select_from(Delivery)).one(),
            s.exec(select(func.count()).select_from(Approval)).one(),
        )


def test_plan_review_and_approve_a_post(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    created = client.post("/posts", json=_post(plan))
    assert created.status_code == 201, created.text
    post = created.json()
    (delivery,) = post["deliveries"]
    # 14 days before a 19:00 UTC premiere on 1 March, at 18:00 London (GMT in February).
    assert delivery["due_at"].startswith("2027-02-15T18:00:00")
    assert (post["status"], delivery["status"]) == ("draft", "pending")

    preview = client.get(f"/posts/{post['id']}/preview").json()
    assert "14" in preview[0]["text"]
    assert "NightShift" in preview[0]["text"] or "Night Shift" in preview[0]["text"]

    submitted = client.post(f"/posts/{post['id']}/submit", json={"version": 1})
    assert submitted.json()["status"] == "in_review"
    approved = approver.post(
        f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"])
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["deliveries"][0]["status"] == "scheduled"

    listed = client.get(
        "/deliveries", params={"status": "scheduled", "production_id": plan["production"]}
    ).json()
    assert [d["id"] for d in listed] == [delivery["id"]]
    with Session(engine) as s:
        approval = s.exec(select(Approval)).one()
        assert approval.approved_by == APPROVER_ACTOR
        assert approval.delivery_hashes == {str(delivery["id"]): preview[0]["content_hash"]}
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-4:] == ["post.created", "post.submitted", "post.step_approved", "post.approved"]


def test_an_edit_after_approval_returns_the_post_to_review(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    post = client.post("/posts", json=_post(plan)).json()
    client.post(f"/posts/{post['id']}/submit", json={"version": 1})
    approver.post(f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"]))

    edited = client.patch(
        f"/posts/{post['id']}",
        json={"version": 1, "variables": {"days_to_go": 13, "event": "the premiere"}},
    )

    assert edited.status_code == 200, edited.text
    assert (edited.json()["status"], edited.json()["version"]) == ("in_review", 2)
    assert edited.json()["deliveries"][0]["status"] == "pending"
    stale = approver.post(
        f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"])
    )
    assert stale.status_code == 409
    assert "changed since it was shown" in stale.json()["detail"]


def test_media_carry_alt_text_and_changing_it_needs_a_new_approval(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    still = {"url": "https://cdn.test/rain.jpg", "alt": "The crew under umbrellas at 3am"}
    post = client.post("/posts", json=_post(plan, media=[still, "https://cdn.test/teaser.mp4"]))
    assert post.status_code == 201, post.text
    assert post.json()["media"] == [
        {"url": "https://cdn.test/rain.jpg", "kind": "image", "alt": still["alt"]},
        {"url": "https://cdn.test/teaser.mp4", "kind": "video", "alt": None},
    ]
    post_id = post.json()["id"]
    client.post(f"/posts/{post_id}/submit", json={"version": 1})
    approver.post(f"/posts/{post_id}/approve", json=factories.approve_body(client, post_id))

    described = {**still, "alt": "The crew under umbrellas"}
    edited = client.patch(f"/posts/{post_id}", json={"version": 1, "media": [described]})

    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "in_review"  # the words people hear are content too


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"anchor": {"milestone_id": 1, "offset": "two weeks before"}}, "offset", "ISO 8601"),
        ({"anchor": {"milestone_id": 1, "offset": "-P1M"}}, "offset", "months"),
        ({"anchor": {"milestone_id": 999, "offset": "-P1D"}}, "milestone_id", "not a milestone"),
        ({"template": "no_such_template"}, "template", "unknown template"),
        ({"template": None, "body": "Take {{ take"}, "body", "line 1"),
        ({"template": None, "body": "Hello {{ who }}"}, "variables", "who"),
        ({"template": None, "body": "{{ ''.__class__.__mro__ }}"}, "body", "not allowed"),
        ({"account_ids": [4242]}, "account_ids", "4242"),
        ({"pillar": "gossip"}, "pillar", ""),
        ({"media": [{"url": "https://cdn.test/still"}]}, "kind", "image or a video"),
        ({"media": [{"url": "https://cdn.test/a.jpg", "kind": "gif"}]}, "kind", ""),
    ],
)
def test_bad_posts_are_422_naming_the_field_and_write_nothing(
    client: httpx.Client,
    plan: dict[str, int],
    engine: Engine,
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    body = _post(plan, **change)
    if "anchor" in change:
        body["anchor"]["milestone_id"] = (
            change["anchor"]["milestone_id"]
            if (change["anchor"]["milestone_id"] == 999)
            else plan["milestone"]
        )
    before = _counts(engine)

    answer = client.post("/posts", json=body)

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["errors"]
    assert problem["loc"][-1] == field, problem
    assert words in problem["msg"]
    assert _counts(engine) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/productions", {"title": "X", "kind": "film", "timezone": "Mars/Olympus"}, "timezone"),
        ("/productions", {"title": "X", "kind": "opera", "timezone": "UTC"}, "kind"),
        ("/accounts", {"platform": "myspace", "handle": "@x", "settings": {}}, "platform"),
        ("/accounts", {"platform": "outbox", "handle": "@x", "settings": {"pth": "x"}}, "pth"),
    ],
)
def test_bad_productions_and_accounts_are_422_naming_the_field(
    client: httpx.Client, engine: Engine, path: str, body: dict[str, Any], field: str
) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][-1] == field


def test_a_milestone_needs_a_timezone_and_a_known_production(
    client: httpx.Client, plan: dict[str, int]
) -> None:
    naive = client.post(
        f"/productions/{plan['production']}/milestones",
        json={"kind": "wrap", "name": "Wrap", "at": "2027-01-10T19:00:00"},
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["loc"][-1] == "at"
    missing = client.post(
        "/productions/999/milestones", json={"kind": "wrap", "name": "Wrap", "at": PREMIERE}
    )
    assert missing.status_code == 404


def test_webhook_secrets_are_never_shown(client: httpx.Client) -> None:
    secret = "a-very-secret-signing-key-123456"
    created = client.post(
        "/accounts",
        json={
            "platform": "webhook",
            "handle": "#marketing",
            "settings": {"url": "https://hooks.example.test/callsheet", "secret": secret},
        },
    )
    assert created.status_code == 201, created.text
    assert secret not in created.text
    assert secret not in client.get("/accounts").text


def test_deliveries_filter_by_due_time(client: httpx.Client, plan: dict[str, int]) -> None:
    client.post("/posts", json=_post(plan))
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    client.post("/posts", json=_post(plan, anchor={"at": soon}))
    window = {"due_after": "2027-02-01T00:00:00Z", "due_before": "2027-03-01T00:00:00Z"}
    found = client.get("/deliveries", params=window).json()
    assert [d["due_at"][:10] for d in found] == ["2027-02-15"]
    naive = client.get("/deliveries", params={"due_after": "2027-02-01T00:00:00"})
    assert naive.status_code == 422


def test_a_rejected_post_carries_the_note_and_can_be_resubmitted(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    post = client.post("/posts", json=_post(plan)).json()
    client.post(f"/posts/{post['id']}/submit", json={"version": 1})

    silent = client.post(f"/posts/{post['id']}/reject", json={"version": 1})
    assert silent.status_code == 422
    assert silent.json()["errors"][0]["loc"][-1] == "note"
    rejected = client.post(
        f"/posts/{post['id']}/reject", json={"version": 1, "note": "Credit the gaffer by name."}
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["review_note"]) == (
        "rejected",
        "Credit the gaffer by name.",
    )
    refused = approver.post(
        f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"])
    )
    assert refused.status_code == 409
    again = client.post(f"/posts/{post['id']}/submit", json={"version": 1})
    assert again.json()["status"] == "in_review"


def test_templates_and_platforms_are_listed(client: httpx.Client) -> None:
    templates = {t["name"]: t for t in client.get("/templates").json()}
    assert {"casting_reveal", "crew_spotlight", "premiere_countdown"} <= set(templates)
    assert templates["crew_spotlight"]["variables"] == ["department", "crew"]
    assert {"outbox", "webhook"} <= {p["name"] for p in client.get("/platforms").json()}


def test_pause_and_resume_over_the_api(client: httpx.Client, plan: dict[str, int]) -> None:
    missing = client.post("/pauses", json={"scope": "production", "reason": "Hold"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"][-1] == "production_id"

    started = client.post(
        "/pauses",
        json={
            "scope": "production",
            "production_id": plan["production"],
            "reason": "Premiere date under negotiation",
        },
    )
    assert started.status_code == 201, started.text
    shown = client.get("/pauses").json()
    assert [(p["paused_by"], p["reason"]) for p in shown] == [
        (CLIENT_ACTOR, "Premiere date under negotiation")
    ]

    pause_id = started.json()["id"]
    assert client.post(f"/pauses/{pause_id}/resume").json()["resumed_by"] == CLIENT_ACTOR
    assert client.post(f"/pauses/{pause_id}/resume").status_code == 409
    assert client.get("/pauses").json() == []
    assert len(client.get("/pauses", params={"active": False}).json()) == 1


def test_moving_a_milestone_answers_with_what_moved(
    client: httpx.Client, plan: dict[str, int]
) -> None:
    post = client.post("/posts", json=_post(plan)).json()
    path = f"/productions/{plan['production']}/milestones/{plan['milestone']}"

    moved = client.patch(path, json={"at": "2027-03-22T19:00:00+00:00"})

    assert moved.status_code == 200, moved.text
    (entry,) = moved.json()["moved"]
    assert entry["delivery_id"] == post["deliveries"][0]["id"]
    assert entry["old_due_at"].startswith("2027-02-15T18:00")
    assert entry["new_due_at"].startswith("2027-03-08T18:00")
    assert moved.json()["milestone"]["at"].startswith("2027-03-22T19:00")
    naive = client.patch(path, json={"at": "2027-03-22T19:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["loc"][-1] == "at"
    elsewhere = client.patch(
        f"/productions/999/milestones/{plan['milestone']}", json={"tentative": True}
    )
    assert elsewhere.status_code == 404


def test_a_milestone_move_previewed_says_what_would_move_and_changes_nothing(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    post = client.post(
        "/posts", json=_post(plan, template=None, body="Night shoot tonight.", variables={})
    ).json()
    client.post(f"/posts/{post['id']}/submit", json={"version": 1})
    approver.post(f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"]))
    path = f"/productions/{plan['production']}/milestones/{plan['milestone']}"

    preview = client.patch(path, json={"at": "2020-03-22T19:00:00+00:00", "preview": True})

    assert preview.status_code == 200, preview.text
    (entry,) = preview.json()["moved"]
    assert entry["delivery_id"] == post["deliveries"][0]["id"]
    assert entry["new_due_at"].startswith("2020-03-08T18:00")
    assert entry["past_due"] is True
    assert entry["status"] == "held"
    assert preview.json()["milestone"]["at"].startswith("2027-03-01T19:00")
    (kept,) = client.get(f"/posts/{post['id']}").json()["deliveries"]
    assert kept["due_at"].startswith("2027-02-15T18:00")
    assert kept["status"] == "scheduled"


def test_a_person_releases_or_cancels_a_held_delivery(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    post = client.post(
        "/posts", json=_post(plan, template=None, body="Night shoot tonight.", variables={})
    ).json()
    client.post(f"/posts/{post['id']}/submit", json={"version": 1})
    approver.post(f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"]))
    path = f"/productions/{plan['production']}/milestones/{plan['milestone']}"
    client.patch(path, json={"at": "2020-03-01T19:00:00+00:00"})  # into the past: held
    (delivery,) = client.get("/deliveries", params={"status": "held"}).json()
    assert delivery["held_for"] == "past_due"

    released = client.post(
        f"/deliveries/{delivery['id']}/release", json={"due_at": "2027-06-01T18:00:00+00:00"}
    )
    assert released.status_code == 200, released.text
    assert (released.json()["status"], released.json()["due_at"][:16]) == (
        "scheduled",
        "2027-06-01T18:00",
    )
    again = client.post(f"/deliveries/{delivery['id']}/release", json={})
    assert again.status_code == 409
    cancelled = client.post(
        f"/deliveries/{delivery['id']}/cancel", json={"reason": "Premiere cancelled"}
    )
    assert cancelled.json()["status"] == "cancelled"
    assert (
        client.post(f"/deliveries/{delivery['id']}/cancel", json={"reason": "twice"}).status_code
        == 409
    )


def test_a_tentative_hold_is_released_by_confirming_the_date_not_by_hand(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    path = f"/productions/{plan['production']}/milestones/{plan['milestone']}"
    client.patch(path, json={"tentative": True})
    post = client.post("/posts", json=_post(plan, template=None, body="Soon.", variables={})).json()
    client.post(f"/posts/{post['id']}/submit", json={"version": 1})
    approver.post(f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"]))
    (delivery,) = client.get("/deliveries", params={"status": "held"}).json()
    refused = client.post(f"/deliveries/{delivery['id']}/release", json={})
    assert refused.status_code == 409
    assert "confirm the milestone" in refused.json()["detail"]
    moved = client.patch(path, json={"tentative": False}).json()
    assert [m["status"] for m in moved["moved"]] == ["scheduled"]
