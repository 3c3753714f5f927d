"""Publishing to sandbox platforms through a real worker: credentials that stop working, and
answers lost after the post was made. SQLite and PostgreSQL, real HTTP, real Redis."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from sandbox.control import SandboxControl
from scheduler.accounts import create_account
from scheduler.models import Account, AuditEvent, Delivery
from scheduler.schemas import AccountCreate
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for


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

    final = run_until(engine, service, worker, lambda s: set(s.values()) == {"published"})

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
