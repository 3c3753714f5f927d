"""Issue 10, item 6: a delivery released after its latest useful time is held for a person, with
the reason, never sent silently late. The production sets the policy (a grace after the due
time, or "not after its milestone"); a person may still send it, saying so. SQLite and
PostgreSQL, a real worker where something could go out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from scheduler.accounts.connections import mark_needs_reconnect, reconnect_account
from scheduler.accounts.schemas import AccountReconnect
from scheduler.core.models import Approval, AuditEvent, ContentPillar, Delivery, PauseScope
from scheduler.planning.pauses import pause, resume
from scheduler.planning.schemas import PauseCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for


def _outbox_lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def _approved_yesterday(engine: Engine) -> None:
    """Every approval given a day ago, before the due times: on time, not stale."""
    with engine.begin() as conn:
        conn.execute(update(Approval).values(approved_at=datetime.now(UTC) - timedelta(days=1)))


def _delivery_of(session: Session, post_id: int) -> Delivery:
    session.expire_all()
    return session.exec(select(Delivery).where(Delivery.post_id == post_id)).one()


def test_a_pause_resumed_after_the_grace_holds_the_late_post_and_sends_the_timely_one(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    production = factories.production(session)  # default policy: a grace of 2 hours
    pid = production.id or 0
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    now = datetime.now(UTC)
    late = factories.approved_post(
        session, pid, [account], at=now - timedelta(hours=3), variables={"take": 1}
    )
    timely = factories.approved_post(
        session, pid, [account], at=now - timedelta(minutes=1), variables={"take": 2}
    )
    stop = pause(
        session=session,
        actor="dev.raman",
        data=PauseCreate(scope=PauseScope.production, production_id=pid, reason="Press leak"),
    )
    session.commit()
    _approved_yesterday(engine)
    service = service_for(engine, worker)
    service.tick()
    assert {d.status for d in session.exec(select(Delivery))} == {"scheduled"}
    session.commit()

    resume(session=session, pause_id=stop.id or 0, actor="dev.raman")
    session.commit()
    final = run_until(engine, service, worker, all_final)

    assert sorted(final.values()) == ["held", "published"], worker.log()
    assert _outbox_lines(tmp_path / "feed.jsonl") == 1
    held = _delivery_of(session, late.id or 0)
    assert held.status == "held"
    assert held.held_for == "late"
    reason = held.last_error or ""
    assert "after its latest useful time" in reason, reason
    assert "(grace 2 h)" in reason, reason
    assert _delivery_of(session, timely.id or 0).status == "published"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "delivery.held")).all()
    assert [(e.entity_id, e.reason) for e in events] == [(held.id, reason)]


def test_a_late_hold_is_sent_only_when_a_person_says_send_late(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    tmp_path: Path,
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    milestone_at = datetime.now(UTC) - timedelta(minutes=30)
    premiere = factories.premiere(session, production.id or 0, milestone_at)
    countdown = create_post(
        session=session,
        actor="marketing",
        data=PostCreate(
            production_id=production.id or 0,
            pillar=ContentPillar.countdown,
            body="Tomorrow: the premiere of {{ production.title }}.",
            anchor=AnchorIn(milestone_id=premiere, offset="-PT1H"),
            account_ids=[account.id or 0],
        ),
    )
    submit_post(session=session, post_id=countdown.id or 0, version=1, actor="marketing")
    approve_post(session=session, post_id=countdown.id or 0, version=1, actor="ines", shown=None)
    session.commit()
    _approved_yesterday(engine)
    patched = client.patch(f"/productions/{production.id}", json={"late_policy": "milestone"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["late_policy"] == "milestone"

    now = datetime.now(UTC)  # due 90 minutes ago: inside the grace, but after the premiere
    claimed = claim_due(engine, now=now, owner="t", limit=10, lease_until=lease_deadline(now, 60))

    assert claimed == []
    held = _delivery_of(session, countdown.id or 0)
    session.commit()
    assert (held.status, held.held_for) == ("held", "late")
    assert "after its milestone 'Premiere'" in (held.last_error or "")

    plain = client.post(f"/deliveries/{held.id}/release", json={})
    assert plain.status_code == 409, plain.text
    assert "send_late" in plain.text
    sent = client.post(f"/deliveries/{held.id}/release", json={"send_late": True})
    assert sent.status_code == 200, sent.text
    final = run_until(engine, service_for(engine, worker), worker, all_final)
    assert set(final.values()) == {"published"}, worker.log()
    assert _outbox_lines(tmp_path / "feed.jsonl") == 1
    released = session.exec(
        select(AuditEvent).where(AuditEvent.action == "delivery.released")
    ).one()
    assert (released.after or {}).get("send_late") is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"late_policy": "whenever"}, "late_policy"),
        ({"late_grace_minutes": 0}, "late_grace_minutes"),
        ({"late_grace_minutes": None}, "late_grace_minutes"),
    ],
)
def test_patch_refuses_a_bad_late_policy_by_name(
    client: httpx.Client, session: Session, body: dict[str, object], field: str
) -> None:
    pid = factories.production(session).id
    session.commit()

    answer = client.patch(f"/productions/{pid}", json=body)

    assert answer.status_code == 422, answer.text
    assert field in answer.text
    shown = client.get(f"/productions/{pid}").json()
    assert (shown["late_policy"], shown["late_grace_minutes"]) == ("grace", 120)


def test_a_post_s_own_latest_useful_time_overrides_the_production_s_grace(
    client: httpx.Client, approver: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    session.commit()
    now = datetime.now(UTC)
    made = []
    for body, latest in (
        ("Live from the set, right now.", now - timedelta(minutes=5)),  # tighter than 2 h
        ("The crew's favourite takes.", now + timedelta(days=2)),  # evergreen: wider
    ):
        answer = client.post(
            "/posts",
            json={
                "production_id": production.id,
                "pillar": "on_set",
                "body": body,
                "anchor": {
                    "at": (now - timedelta(minutes=30 if "Live" in body else 600)).isoformat()
                },
                "latest_at": latest.isoformat(),
                "account_ids": [account.id],
            },
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["latest_at"] is not None
        post_id = answer.json()["id"]
        assert client.post(f"/posts/{post_id}/submit", json={"version": 1}).status_code == 200
        approved = approver.post(
            f"/posts/{post_id}/approve", json=factories.approve_body(client, post_id)
        )
        assert approved.status_code == 200, approved.text
        made.append(post_id)
    _approved_yesterday(engine)

    claimed = claim_due(engine, now=now, owner="t", limit=10, lease_until=lease_deadline(now, 60))

    live, evergreen = (_delivery_of(session, post_id) for post_id in made)
    session.commit()
    assert claimed == [evergreen.id]  # ten hours late, but inside its own latest useful time
    assert (live.status, live.held_for) == ("held", "late")  # 30 min late, past its own limit
    assert "(set on the post)" in (live.last_error or "")


def test_a_reconnect_after_the_grace_holds_what_it_releases_as_late(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    factories.approved_post(session, production.id or 0, [account])  # due a minute ago
    session.commit()
    with engine.begin() as conn:
        mark_needs_reconnect(
            conn, account_id=account.id or 0, reason="token revoked", actor="worker"
        )
    now = datetime.now(UTC)
    lease = lease_deadline(now, 60)
    assert claim_due(engine, now=now, owner="t", limit=5, lease_until=lease) == []

    with Session(engine) as request:  # as the API does: a session of its own
        reconnect_account(
            session=request,
            account_id=account.id or 0,
            data=AccountReconnect(settings={"path": str(tmp_path / "feed.jsonl")}),
            actor="maya",
        )
        request.commit()
    three_hours_on = now + timedelta(hours=3)  # the account was fixed the same evening

    assert claim_due(engine, now=three_hours_on, owner="t", limit=5, lease_until=lease) == []
    (delivery,) = session.exec(select(Delivery)).all()
    session.refresh(delivery)
    assert (delivery.status, delivery.held_for) == ("held", "late")
