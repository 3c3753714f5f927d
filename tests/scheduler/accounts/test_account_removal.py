"""Removing an account (``GET /accounts/{id}/removal`` first, then ``DELETE``), over real HTTP
on SQLite and PostgreSQL: what could still go out is cancelled and audited, what went out
stays, and the account is out of every list and every new post's reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from scheduler.core.models import Account, AuditEvent, Delivery, Role
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import person_with_token


def _statuses(session: Session) -> dict[int, str]:
    session.expire_all()
    found = {d.id or 0: d.status for d in session.exec(select(Delivery))}
    session.commit()  # end the reading transaction: on SQLite it holds the write lock
    return found


def _set_status(engine: Engine, delivery_id: int, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Delivery).where(Delivery.id == delivery_id).values(status=status))  # type: ignore[arg-type]


def test_asking_first_names_what_would_be_cancelled_and_changes_nothing(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    later = datetime.now(UTC) + timedelta(days=3)
    approved = factories.approved_post(session, production.id or 0, [account], at=later)
    draft = factories.post(session, production.id or 0, [account])
    session.commit()
    before = _statuses(session)

    answer = client.get(f"/accounts/{account.id}/removal")

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["account_id"] == account.id
    assert found["publishing"] == []
    assert [(c["post_id"], c["status"]) for c in found["cancelled"]] == [
        (draft.id, "pending"),
        (approved.id, "scheduled"),
    ]
    assert {c["delivery_id"] for c in found["cancelled"]} == set(before)
    due = datetime.fromisoformat(found["cancelled"][1]["due_at"])
    assert abs(due - later) < timedelta(seconds=1)
    assert _statuses(session) == before
    assert any(a["id"] == account.id for a in client.get("/accounts").json())


def test_removing_cancels_what_could_go_out_and_keeps_what_went_out(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    other = factories.outbox_account(session, tmp_path / "other.jsonl", "@elsewhere")
    later = datetime.now(UTC) + timedelta(days=3)
    posts = [factories.approved_post(session, pid, [account], at=later)]
    posts += [factories.approved_post(session, pid, [account]) for _ in range(4)]
    posts.append(factories.post(session, pid, [account]))
    factories.approved_post(session, pid, [other])
    session.commit()
    scheduled, published, held, unknown, claimed, pending = (
        session.exec(select(Delivery.id).where(Delivery.post_id == p.id)).one() or 0 for p in posts
    )
    account_id = account.id
    session.commit()  # end the reading transaction: on SQLite it holds the write lock
    _set_status(engine, published, "published")
    _set_status(engine, held, "held")
    _set_status(engine, unknown, "unknown")
    claim_due(
        engine,
        now=datetime.now(UTC),
        owner="claim-before-removal",
        limit=10,
        lease_until=lease_deadline(datetime.now(UTC), 300),
    )
    before = _statuses(session)
    assert before[claimed] == "claimed"

    answer = client.delete(f"/accounts/{account_id}")

    assert answer.status_code == 200, answer.text
    cancelled = {c["delivery_id"]: c["status"] for c in answer.json()["cancelled"]}
    assert cancelled == {
        scheduled: "scheduled",
        held: "held",
        claimed: "claimed",
        pending: "pending",
    }
    after = _statuses(session)
    assert after == before | dict.fromkeys(cancelled, "cancelled")
    assert (after[published], after[unknown]) == ("published", "unknown")
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "delivery.cancelled")).all()
    assert {e.entity_id for e in events} == set(cancelled)
    assert {e.reason for e in events} == {"its account outbox:@nightshiftfilm was removed"}
    [removed] = session.exec(select(AuditEvent).where(AuditEvent.action == "account.removed"))
    assert removed.entity_id == account_id
    session.commit()


def test_a_removed_account_is_not_listed_and_cannot_be_targeted(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, tmp_path / "feed.jsonl", production_ids=[pid])
    session.commit()
    assert client.delete(f"/accounts/{account.id}").status_code == 200

    listed = client.get("/accounts").json() + client.get(f"/accounts?production_id={pid}").json()
    new_post = client.post(
        "/posts",
        json={
            "production_id": pid,
            "pillar": "on_set",
            "body": "Night shift.",
            "anchor": {"at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
            "account_ids": [account.id],
        },
    )
    again = client.delete(f"/accounts/{account.id}")
    granted = client.put(f"/accounts/{account.id}/productions/{pid}")
    reconnected = client.put(
        f"/accounts/{account.id}/credentials", json={"settings": {"path": "x"}}
    )

    assert account.id not in [a["id"] for a in listed]
    assert new_post.status_code == 422, new_post.text
    assert new_post.json()["errors"][0]["loc"][-1] == "account_ids"
    assert (again.status_code, granted.status_code, reconnected.status_code) == (404, 404, 404)


def test_an_edit_of_a_post_that_went_out_on_a_removed_account_keeps_its_other_accounts(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    other = factories.outbox_account(session, tmp_path / "other.jsonl", "@elsewhere")
    post = factories.post(session, production.id or 0, [account, other])
    session.commit()
    assert client.delete(f"/accounts/{account.id}").status_code == 200

    edited = client.patch(f"/posts/{post.id}", json={"version": 1, "body": "Night shift, again."})

    assert edited.status_code == 200, edited.text
    after = session.exec(select(Delivery).where(Delivery.post_id == post.id)).all()
    assert {d.account_id: d.status for d in after} == {
        account.id: "cancelled",
        other.id: "pending",
    }
    session.commit()


def test_removal_waits_for_a_delivery_being_published(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    post = factories.approved_post(session, production.id or 0, [account])
    session.commit()
    delivery = session.exec(select(Delivery).where(Delivery.post_id == post.id)).one()
    delivery_id = delivery.id or 0
    session.commit()
    _set_status(engine, delivery_id, "publishing")

    preview = client.get(f"/accounts/{account.id}/removal")
    answer = client.delete(f"/accounts/{account.id}")

    assert preview.json()["publishing"] == [delivery_id]
    assert answer.status_code == 409, answer.text
    assert f"deliveries {delivery_id} of account {account.id}" in answer.json()["detail"]
    assert _statuses(session) == {delivery_id: "publishing"}
    assert any(a["id"] == account.id for a in client.get("/accounts").json())


def test_a_failed_delivery_of_a_removed_account_cannot_be_retried(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    post = factories.approved_post(session, production.id or 0, [account])
    session.commit()
    delivery_id = session.exec(select(Delivery.id).where(Delivery.post_id == post.id)).one()
    session.commit()
    _set_status(engine, delivery_id or 0, "failed")
    assert client.delete(f"/accounts/{account.id}").status_code == 200

    answer = client.post(f"/deliveries/{delivery_id}/retry", json={"reason": "try again"})

    assert answer.status_code == 409, answer.text
    assert "was removed" in answer.json()["detail"]
    assert _statuses(session) == {delivery_id: "failed"}


def test_only_an_admin_of_every_production_it_serves_may_remove(
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
        headers = {"Authorization": f"Bearer {token}"}
        asked = httpx.get(f"{client.base_url}/accounts/{account.id}/removal", headers=headers)
        removed = httpx.delete(f"{client.base_url}/accounts/{account.id}", headers=headers)
        answers[caller] = (asked.status_code, removed.status_code)

    assert answers == {
        "marketer": (403, 403),
        "their admin": (403, 403),
        "our admin": (200, 200),
    }
    session.expire_all()
    assert session.get_one(Account, account.id).removed_at is not None


def test_an_unknown_delivery_of_a_removed_account_is_never_claimed_for_a_lookup(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    """Its outcome is for a person to settle; a lookup might send it again."""
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    post = factories.approved_post(session, production.id or 0, [account])
    session.commit()
    delivery_id = session.exec(select(Delivery.id).where(Delivery.post_id == post.id)).one()
    account_id = account.id
    session.commit()
    with engine.begin() as conn:
        conn.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)  # type: ignore[arg-type]
            .values(status="unknown", needs_lookup=True)
        )
    assert client.delete(f"/accounts/{account_id}").status_code == 200

    claimed = claim_due(
        engine,
        now=datetime.now(UTC),
        owner="claim-after-removal",
        limit=10,
        lease_until=lease_deadline(datetime.now(UTC), 300),
    )

    assert claimed == []
    assert _statuses(session) == {delivery_id: "unknown"}
