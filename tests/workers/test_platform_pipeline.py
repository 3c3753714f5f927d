"""Publishing to sandbox platforms through a real worker: credentials that stop working, and
answers lost after the post was made. SQLite and PostgreSQL, real HTTP, real Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from platforms.adapters.outbox import read_outbox
from sandbox.control import SandboxControl
from scheduler.accounts.connections import (
    adapter_settings,
    build_account_adapter,
    create_account,
    store_credentials,
)
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.clock import Clock
from scheduler.core.models import Account, AuditEvent, Delivery
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.publishing import fence
from scheduler.queue.reaper import reap_expired
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for
from workers.jobs import load_jobs
from workers.publish import publish_one


def _published(statuses: dict[int, str]) -> bool:
    return bool(statuses) and set(statuses.values()) == {"published"}


def _discord(session: Session, sandbox: SandboxControl, token: str) -> Account:
    url = f"{sandbox.url('discord')}/api/webhooks/77/{token}"
    return create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(platform="discord", handle="#bts", settings={"webhook_url": url}),
    )


def test_a_revoked_account_holds_its_posts_until_reconnected_then_they_go_out(
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    sandbox: SandboxControl,
    client: httpx.Client,
) -> None:
    old_token = "revoked-webhook-token-0001"
    account = _discord(session, sandbox, old_token)
    production = factories.production(session)
    for take in (1, 2):
        factories.approved_post(session, production.id or 0, [account], variables={"take": take})
    session.commit()
    sandbox.revoke(old_token)
    service = service_for(engine, worker)

    final = run_until(engine, service, worker, all_final)

    assert set(final.values()) == {"held"}
    assert sandbox.posts("discord") == []
    session.expire_all()
    stored = session.get(Account, account.id)
    assert stored is not None
    assert stored.needs_reconnect
    assert old_token not in stored.needs_reconnect  # the URL carries the token: never shown
    noted = session.exec(
        select(AuditEvent).where(AuditEvent.action == "account.needs_reconnect")
    ).all()
    assert len(noted) == 1  # people are told once, not once per post
    for delivery in session.exec(select(Delivery)):
        assert delivery.held_for == "account"
        assert old_token not in (delivery.last_error or "")
    session.commit()

    new_url = f"{sandbox.url('discord')}/api/webhooks/77/fresh-webhook-token-0002"
    answer = client.put(
        f"/accounts/{account.id}/credentials", json={"settings": {"webhook_url": new_url}}
    )
    assert answer.status_code == 200, answer.text

    run_until(engine, service, worker, _published)

    posts = sandbox.posts("discord")
    assert sorted(p["body"]["content"] for p in posts) == [
        f"Night shift, take {n}: the crew of Night Shift at work." for n in (1, 2)
    ]


def test_a_lost_answer_from_a_platform_that_cannot_be_asked_waits_for_a_person(
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    sandbox: SandboxControl,
    client: httpx.Client,
) -> None:
    """Discord cannot list a webhook's messages: Callsheet says so and never resends blindly."""
    account = _discord(session, sandbox, "webhook-token-0003")
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [account])
    session.commit()
    sandbox.fault("discord", "drop_after_create")
    service = service_for(engine, worker)

    final = run_until(engine, service, worker, all_final)

    [delivery_id] = final
    assert final[delivery_id] == "unknown"
    for _ in range(3):  # later ticks leave it alone: nothing is sent again
        service.tick()
    assert len(sandbox.posts("discord")) == 1
    session.expire_all()
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    assert not delivery.needs_lookup
    assert "may have been created" in (delivery.last_error or "")
    session.commit()

    [post] = sandbox.posts("discord")
    answer = client.post(
        f"/deliveries/{delivery_id}/resolve",
        json={"published": True, "url": post["url"], "reason": "seen in #bts"},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "published"
    assert answer.json()["external_url"] == post["url"]
    again = client.post(
        f"/deliveries/{delivery_id}/resolve", json={"published": False, "reason": "oops"}
    )
    assert again.status_code == 409


def test_a_worker_that_died_after_publishing_is_found_out_not_repeated(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    """The post went out, then the worker died before recording it. The reaper marks the
    delivery unknown; the next worker asks the platform, finds the post, and records it."""
    outbox = factories.outbox_account(session, tmp_path / "feed.jsonl")
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [outbox])
    session.commit()
    now = datetime.now(UTC)
    [delivery_id] = claim_due(
        engine, now=now, owner="doomed", limit=5, lease_until=lease_deadline(now, 1)
    )
    fence(engine, ids=[delivery_id], owner="doomed", lease_until=lease_deadline(now, 1))
    [job] = load_jobs(engine, [delivery_id])
    adapter = build_account_adapter(job.account)
    sent = publish_one(job, adapter, settings=worker.settings, clock=Clock())  # then it "died"
    assert sent.status == "published"
    reaped = reap_expired(engine, now=now + timedelta(seconds=5), lookup_at=now)
    assert reaped.unknown == [delivery_id]

    final = run_until(engine, service_for(engine, worker), worker, all_final)

    assert final == {delivery_id: "published"}
    assert len(read_outbox(tmp_path / "feed.jsonl")) == 1
    assert f"delivery {delivery_id} was found on outbox" in worker.log()
    session.expire_all()
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    assert delivery.external_id == sent.external_id
    assert not delivery.needs_lookup


def test_a_post_made_before_the_connection_dropped_is_found_and_not_posted_twice(
    session: Session, engine: Engine, worker: WorkerProcess, sandbox: SandboxControl
) -> None:
    """Mastodon made the status, then the connection dropped: the worker cannot know. The
    delivery is marked to be looked up; the next attempt finds the status and records it."""
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(
            platform="mastodon",
            handle="@nightshift@mastodon.test",
            settings={"base_url": sandbox.url("mastodon"), "access_token": "tok:nightshift"},
        ),
    )
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [account])
    session.commit()
    sandbox.fault("mastodon", "drop_after_create", path="/api/v1/statuses", method="POST")

    final = run_until(engine, service_for(engine, worker), worker, _published)

    assert list(final.values()) == ["published"]
    [status] = sandbox.posts("mastodon")
    session.expire_all()
    delivery = session.exec(select(Delivery)).one()
    assert delivery.external_id == status["id"]
    assert delivery.attempt == 2  # the lost attempt, then the lookup that found it
    actions = [
        e.action
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.entity == "delivery").order_by(col(AuditEvent.id))
        )
    ]
    assert actions[-2:] == ["delivery.unknown", "delivery.published"]


def test_tokens_refreshed_while_publishing_are_sealed_and_used_next_time(
    session: Session, engine: Engine, worker: WorkerProcess, sandbox: SandboxControl
) -> None:
    """X spends a refresh token when it is used: the rotated one must be kept, sealed, or the
    account would need a person the next time its access token runs out."""
    soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    first_refresh = "refresh-token-0001:nightshiftfilm"
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(
            platform="x",
            handle="@nightshiftfilm",
            settings={
                "base_url": sandbox.url("x"),
                "access_token": "access-token-0001:nightshiftfilm",
                "refresh_token": first_refresh,
                "token_expires_at": soon,
                "client_id": "callsheet-app",
            },
        ),
    )
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [account], variables={"take": 1})
    session.commit()
    service = service_for(engine, worker)

    run_until(engine, service, worker, _published)

    session.expire_all()
    stored = adapter_settings(session.get_one(Account, account.id))
    assert stored["refresh_token"] != first_refresh  # rotated, and the new one kept
    assert stored["access_token"] != "access-token-0001:nightshiftfilm"
    session.commit()  # a reading session holds SQLite's write lock (scheduler/core/db.py)
    with engine.begin() as conn:  # the new access token runs out soon too
        store_credentials(
            conn,
            account_id=account.id or 0,
            changes={"token_expires_at": soon},
            settings=worker.settings,
        )
    factories.approved_post(session, production.id or 0, [account], variables={"take": 2})
    session.commit()

    run_until(engine, service, worker, _published)

    assert len(sandbox.posts("x")) == 2
    assert (
        len(sandbox.records("x", kind="token")) == 2
    )  # two refreshes, the second with the new token
    log = worker.log()
    for secret in (first_refresh, stored["refresh_token"], stored["access_token"]):
        assert secret not in log
