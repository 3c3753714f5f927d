"""Outgoing notifications over real HTTP, on SQLite and PostgreSQL.

Changes are made through the API or the queue functions the worker uses; ``send_due`` is driven
directly with a chosen ``now`` (no waiting on the scheduler), and a local receiver checks every
signature with the same ``verify_signature`` a real receiver would use.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from platforms.adapters.webhook import verify_signature
from scheduler.accounts.connections import mark_needs_reconnect
from scheduler.core.clock import Clock
from scheduler.core.config import Settings
from scheduler.core.models import (
    AuditEvent,
    Delivery,
    DeliveryStatus,
    HoldReason,
    Notification,
    Post,
    Role,
)
from scheduler.notify.hooks import create_hook
from scheduler.notify.sending import SendReport, send_due
from scheduler.posts.approval import submit_post
from scheduler.queue.claims import claim_due
from scheduler.queue.publishing import Outcome, fence, finish
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.conftest import CLIENT_ACTOR, person_with_token

T0 = datetime.now(UTC)


@dataclass
class Received:
    signed: bool
    headers: dict[str, str]
    payload: dict[str, Any]


class Receiver:
    """A team channel on localhost: checks signatures, answers from a script (then 200)."""

    def __init__(self) -> None:
        self.secret = secrets.token_urlsafe(24)
        self.answers: list[tuple[int, str]] = []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/services/T0/B0/channel-token"

    def answer(self, *statuses: int, said: str = "") -> None:
        self.answers.extend((status, said) for status in statuses)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [r.payload for r in self.received if r.signed]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verify_signature(
                    receiver.secret,
                    self.headers.get("X-Callsheet-Timestamp", ""),
                    body,
                    self.headers.get("X-Callsheet-Signature", ""),
                )
                with receiver._lock:
                    receiver.received.append(
                        Received(signed, dict(self.headers.items()), json.loads(body))
                    )
                    status, said = receiver.answers.pop(0) if receiver.answers else (200, "ok")
                answer = said.encode()
                self.send_response(status if signed else 401)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    channel = Receiver()
    yield channel
    channel.stop()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.model_validate(
        {
            "environment": "test",
            "database_url": database_url,
            "notify_retry_base_seconds": 10,
            "notify_retry_max_seconds": 3600,
            "notify_max_attempts": 8,
            "notify_timeout_seconds": 5,
        }
    )


def send(engine: Engine, settings: Settings, now: datetime | None = None) -> SendReport:
    with httpx.Client() as http:
        return send_due(engine, now=now or datetime.now(UTC), client=http, settings=settings)


def add_hook(
    client: httpx.Client,
    receiver: Receiver,
    production_id: int | None,
    events: list[str] | None = None,
) -> int:
    path = (
        f"/productions/{production_id}/notification-hooks"
        if production_id is not None
        else "/notification-hooks"
    )
    body: dict[str, Any] = {"url": receiver.url, "secret": receiver.secret}
    if events is not None:
        body["events"] = events
    made = client.post(path, json=body)
    assert made.status_code == 201, made.text
    hook_id: int = made.json()["id"]
    return hook_id


def log_of(client: httpx.Client, production_id: int) -> list[dict[str, Any]]:
    answer = client.get(f"/productions/{production_id}/notifications")
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    return rows


def test_submitted_approved_and_rejected_posts_reach_the_channel_signed(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, Path("/dev/null"))
    kept = factories.post(session, pid, [account])
    dropped = factories.post(session, pid, [account])
    session.commit()
    add_hook(client, receiver, pid)

    for post_id, verdict, body in (
        (kept.id, "approve", {"version": 1, "note": "lovely"}),
        (dropped.id, "reject", {"version": 1, "note": "spoils the <twist> & more"}),
    ):
        assert client.post(f"/posts/{post_id}/submit", json={"version": 1}).status_code == 200
        if verdict == "approve":
            body["shown"] = factories.shown(client, post_id or 0)
        answer = client.post(f"/posts/{post_id}/{verdict}", json=body)
        assert answer.status_code == 200, answer.text

    report = send(engine, settings)

    assert report == SendReport(sent=4)
    assert len(receiver.received) == 4
    assert all(r.signed for r in receiver.received)
    facts = [m["callsheet"] for m in receiver.messages]
    assert [(f["event"], f["post_id"], f["status"]) for f in facts] == [
        ("submitted", kept.id, "in_review"),
        ("approved", kept.id, "approved"),
        ("submitted", dropped.id, "in_review"),
        ("rejected", dropped.id, "rejected"),
    ]
    assert facts[3]["reason"] == "spoils the <twist> & more"
    assert facts[3]["production"] == {"id": pid, "title": "Night Shift"}
    assert facts[3]["actor"] == CLIENT_ACTOR
    assert datetime.fromisoformat(facts[3]["at"]) > T0 - timedelta(seconds=1)
    texts = [m["text"] for m in receiver.messages]
    assert texts[1] == (
        f"Night Shift: post {kept.id} (on set) was approved by "
        "Maya &lt;maya@nightshift.test&gt;: lovely."
    )
    assert texts[3].endswith(
        "was rejected by Maya &lt;maya@nightshift.test&gt;: spoils the &lt;twist&gt; &amp; more."
    )
    first = receiver.received[0].headers
    assert first["X-Callsheet-Event"] == "submitted"
    assert first["Content-Type"] == "application/json"
    log = log_of(client, pid)
    assert [(n["event"], n["status"], n["attempts"]) for n in log] == [
        ("rejected", "sent", 1),
        ("submitted", "sent", 1),
        ("approved", "sent", 1),
        ("submitted", "sent", 1),
    ]
    assert all(n["sent_at"] and n["last_error"] is None for n in log)
    assert send(engine, settings) == SendReport()  # each is sent once


def _delivered(
    session: Session, engine: Engine, pid: int, outcomes: dict[str, Outcome]
) -> dict[str, int]:
    """An approved post on one outbox account per outcome, claimed, fenced and finished."""
    accounts = {
        name: factories.outbox_account(session, Path("/dev/null"), handle=f"@{name}")
        for name in outcomes
    }
    factories.approved_post(session, pid, list(accounts.values()))
    session.commit()
    now = datetime.now(UTC)
    lease = now + timedelta(minutes=5)
    ids = claim_due(engine, now=now, owner="test-owner", limit=50, lease_until=lease)
    assert fence(engine, ids=ids, owner="test-owner", lease_until=lease) == ids
    by_account = {a.id: name for name, a in accounts.items()}
    with Session(engine) as s:
        delivery_of = {
            by_account[d.account_id]: d.id or 0
            for d in s.exec(select(Delivery).where(col(Delivery.id).in_(ids)))
        }
    for name, outcome in outcomes.items():
        moved = finish(
            engine, delivery_id=delivery_of[name], owner="test-owner", outcome=outcome, actor="w1"
        )
        assert moved
    return delivery_of


def test_held_failed_and_unknown_deliveries_reach_the_channel_and_published_does_not(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    session.commit()
    add_hook(client, receiver, pid, events=["held", "failed", "unknown"])
    now = datetime.now(UTC)

    delivery = _delivered(
        session,
        engine,
        pid,
        {
            "held": Outcome(
                status=DeliveryStatus.held,
                error="the rendered text changed since approval",
                held_for=HoldReason.content,
            ),
            "failed": Outcome(status=DeliveryStatus.failed, error="x said: duplicate content"),
            "unknown": Outcome(status=DeliveryStatus.unknown, error="the answer was lost"),
            "published": Outcome(
                status=DeliveryStatus.published, external_id="42", published_at=now
            ),
        },
    )

    assert send(engine, settings) == SendReport(sent=3)
    assert all(r.signed for r in receiver.received)
    by_event = {m["callsheet"]["event"]: m for m in receiver.messages}
    assert set(by_event) == {"held", "failed", "unknown"}
    for event, message in by_event.items():
        facts = message["callsheet"]
        assert facts["delivery_id"] == delivery[event]
        assert facts["status"] == event
        assert facts["production"]["id"] == pid
        assert f"on outbox @{event}" in message["text"]
    assert by_event["held"]["callsheet"]["reason"] == "the rendered text changed since approval"
    assert (
        "is held on outbox @held and waits for a person: the rendered text changed"
        in (by_event["held"]["text"])
    )
    assert by_event["failed"]["text"].endswith(
        "failed on outbox @failed: x said: duplicate content. It will not be tried again."
    )
    assert by_event["unknown"]["text"].endswith("A person must check the platform and settle it.")


def test_an_account_that_needs_reconnecting_is_told_as_held_to_those_it_affects(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    ours = factories.production(session)
    unaffected = factories.production(session)
    account = factories.outbox_account(session, Path("/dev/null"))
    factories.approved_post(
        session, ours.id or 0, [account], at=datetime.now(UTC) + timedelta(days=1)
    )
    session.commit()
    global_hook = add_hook(client, receiver, None)
    ours_hook = add_hook(client, receiver, ours.id)
    other = Receiver()
    try:
        add_hook(client, other, unaffected.id)
        with engine.begin() as conn:
            assert mark_needs_reconnect(
                conn, account_id=account.id or 0, reason="token revoked by x", actor="worker"
            )

        assert send(engine, settings).sent == 2
        assert other.received == []
    finally:
        other.stop()
    assert all(r.signed for r in receiver.received)
    facts = sorted(
        (m["callsheet"] for m in receiver.messages), key=lambda f: f["production"] is not None
    )
    assert [(f["event"], f["account_id"]) for f in facts] == [("held", account.id)] * 2
    assert [f["production"] for f in facts] == [None, {"id": ours.id, "title": "Night Shift"}]
    texts = sorted(m["text"] for m in receiver.messages)
    assert texts[0].startswith("Night Shift: the outbox @nightshiftfilm account needs reconnecting")
    assert texts[1] == (
        "The outbox @nightshiftfilm account needs reconnecting: token revoked by x. "
        "Its posts are held until someone reconnects it."
    )
    with Session(engine) as s:
        hooks = {n.hook_id for n in s.exec(select(Notification))}
    assert hooks == {global_hook, ours_hook}


def test_a_receiver_that_fails_once_gets_the_message_on_the_second_try(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    add_hook(client, receiver, pid)
    receiver.answer(500, said="upstream unavailable")
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200
    now = datetime.now(UTC) + timedelta(seconds=1)

    assert send(engine, settings, now) == SendReport(retrying=1)
    [pending] = log_of(client, pid)
    assert (pending["status"], pending["attempts"]) == ("pending", 1)
    assert pending["last_error"] == "HTTP 500: upstream unavailable"
    due_again = datetime.fromisoformat(pending["next_attempt_at"])
    assert due_again == now + timedelta(seconds=10)  # notify_retry_base_seconds
    assert send(engine, settings, now + timedelta(seconds=9)) == SendReport()  # not yet due

    assert send(engine, settings, now + timedelta(seconds=10)) == SendReport(sent=1)

    [sent] = log_of(client, pid)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert sent["last_error"] == "HTTP 500: upstream unavailable"  # the history stays readable
    assert datetime.fromisoformat(sent["sent_at"]) == now + timedelta(seconds=10)
    assert [r.signed for r in receiver.received] == [True, True]
    keys = {r.headers["Idempotency-Key"] for r in receiver.received}
    assert keys == {f"callsheet-notification-{sent['id']}"}  # the receiver can drop a repeat


def test_after_the_last_attempt_a_notification_is_failed_with_doubling_waits(
    client: httpx.Client, session: Session, engine: Engine, database_url: str, receiver: Receiver
) -> None:
    settings = Settings.model_validate(
        {
            "environment": "test",
            "database_url": database_url,
            "notify_retry_base_seconds": 10,
            "notify_retry_max_seconds": 25,
            "notify_max_attempts": 4,
        }
    )
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    add_hook(client, receiver, pid, events=["submitted"])
    receiver.answer(503, 503, 503, 503, 503)
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200

    now = datetime.now(UTC) + timedelta(seconds=1)
    waits = []
    for _ in range(3):
        assert send(engine, settings, now) == SendReport(retrying=1)
        [row] = log_of(client, pid)
        due = datetime.fromisoformat(row["next_attempt_at"])
        waits.append((due - now).total_seconds())
        now = due
    assert waits == [10, 20, 25]  # doubling, up to notify_retry_max_seconds

    assert send(engine, settings, now) == SendReport(failed=1)

    [failed] = log_of(client, pid)
    assert (failed["status"], failed["attempts"], failed["sent_at"]) == ("failed", 4, None)
    assert failed["last_error"].startswith("HTTP 503")
    assert send(engine, settings, now + timedelta(days=1)) == SendReport()
    assert len(receiver.received) == 4


def test_a_change_that_rolls_back_leaves_no_notification(
    client: httpx.Client, session: Session, engine: Engine
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    create_hook(
        session=session,
        production_id=pid,
        url="https://hooks.example.test/in",
        secret="s" * 24,
        events=["submitted"],
        actor="test",
    )
    session.commit()
    post_id = post.id or 0

    submit_post(session=session, post_id=post_id, version=1, actor="Mo")
    session.flush()
    assert session.scalar(select(func.count()).select_from(Notification)) == 1  # same transaction
    session.rollback()

    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0
        assert s.get_one(Post, post_id).status == "draft"
    # and through the API: a refused approval changes nothing and tells no one
    marketer = person_with_token(
        session, name="Mo", email="mo@nightshift.test", roles={pid: Role.marketer}
    )
    assert client.post(f"/posts/{post_id}/submit", json={"version": 1}).status_code == 200
    refused = client.post(
        f"/posts/{post_id}/approve",
        json={"version": 1},
        headers={"Authorization": f"Bearer {marketer}"},
    )
    assert refused.status_code == 403
    with Session(engine) as s:
        assert [n.event for n in s.exec(select(Notification))] == ["submitted"]


def test_hooks_are_for_admins_and_the_log_for_producers(
    client: httpx.Client, session: Session, engine: Engine, receiver: Receiver
) -> None:
    ours = factories.production(session)
    theirs = factories.production(session)
    pid = ours.id or 0
    session.commit()

    def as_role(role: Role) -> dict[str, str]:
        secret = person_with_token(
            session, name=role.value, email=f"{role.value}@nightshift.test", roles={pid: role}
        )
        return {"Authorization": f"Bearer {secret}"}

    producer, admin = as_role(Role.producer), as_role(Role.admin)
    body = {"url": receiver.url, "secret": receiver.secret}
    hooks = f"/productions/{pid}/notification-hooks"

    refused = client.post(hooks, json=body, headers=producer)
    assert refused.status_code == 403
    assert "admin" in refused.json()["detail"]
    assert client.get(hooks, headers=producer).status_code == 403
    made = client.post(hooks, json=body, headers=admin)
    assert made.status_code == 201, made.text
    hook_id = made.json()["id"]
    assert client.get(f"/productions/{pid}/notifications", headers=producer).status_code == 200
    # not theirs: another production's hooks, and the global ones
    elsewhere = f"/productions/{theirs.id}/notification-hooks"
    assert client.post(elsewhere, json=body, headers=admin).status_code == 403
    assert client.post("/notification-hooks", json=body, headers=admin).status_code == 403
    assert client.get("/notifications", headers=admin).status_code == 403
    # a hook id from another production is not found through this one
    assert client.delete(f"{elsewhere}/{hook_id}").status_code == 404
    assert client.delete(f"/notification-hooks/{hook_id}").status_code == 404

    listed = client.get(hooks, headers=admin)
    assert listed.status_code == 200
    [shown] = listed.json()
    assert shown["target"] == "http://127.0.0.1:" + receiver.url.split(":")[2].split("/")[0] + "/…"
    assert shown["events"] == ["submitted", "approved", "rejected", "held", "failed", "unknown"]
    for answer in (made.text, listed.text):
        assert receiver.secret not in answer
        assert "channel-token" not in answer  # the URL's path is a credential too
    with engine.connect() as conn:
        sealed = conn.exec_driver_sql("SELECT secret, url FROM notificationhook").one()
    assert receiver.secret not in sealed.secret
    with Session(engine) as s:
        event = s.exec(
            select(AuditEvent).where(AuditEvent.action == "notification_hook.created")
        ).one()
    assert event.actor == "admin <admin@nightshift.test>"
    assert receiver.secret not in json.dumps(event.after)
    assert "channel-token" not in json.dumps(event.after)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://files.example.test/in"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://" + "x" * 1000 + ".test/"}, "url"),
        ({"events": ["published"]}, "events"),
        ({"events": []}, "events"),
        ({"secret": "short-secret"}, "secret"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_hook_input_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    change: dict[str, Any],
    field: str,
) -> None:
    production = factories.production(session)
    session.commit()
    body = {"url": "https://hooks.example.test/in", "secret": "s" * 24, **change}

    answer = client.post(f"/productions/{production.id}/notification-hooks", json=body)

    assert answer.status_code == 422, answer.text
    assert field in answer.json()["errors"][0]["loc"]
    assert "short-secret" not in answer.text
    with Session(engine) as s:
        assert (
            s.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(col(AuditEvent.entity) == "notificationhook")
            ).one()
            == 0
        )
    assert client.get(f"/productions/{production.id}/notification-hooks").json() == []


def test_a_removed_hook_sends_nothing_more_and_its_log_says_why(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    hook_id = add_hook(client, receiver, pid)
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200

    assert client.delete(f"/productions/{pid}/notification-hooks/{hook_id}").status_code == 204

    assert send(engine, settings) == SendReport()
    assert receiver.received == []
    [row] = log_of(client, pid)
    assert (row["status"], row["last_error"]) == ("failed", "the hook was removed")
    assert client.get(f"/productions/{pid}/notification-hooks").json() == []
    assert client.delete(f"/productions/{pid}/notification-hooks/{hook_id}").status_code == 404


def test_secrets_stay_out_of_the_log_and_the_errors(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    settings: Settings,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    add_hook(client, receiver, pid)
    receiver.answer(401, said=f"bad signature for {receiver.url} with {receiver.secret}")
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200

    with caplog.at_level(logging.INFO, logger="scheduler.notify.sending"):
        assert send(engine, settings).retrying == 1

    [row] = log_of(client, pid)
    assert row["last_error"].startswith("HTTP 401: bad signature for")
    assert "********" in row["last_error"]
    for text in (row["last_error"], caplog.text):
        assert receiver.secret not in text
        assert "channel-token" not in text
    assert "http://127.0.0.1" in caplog.text  # the log still says which receiver


def test_the_scheduler_services_notify_job_sends_what_is_due(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    add_hook(client, receiver, None, events=["submitted"])  # a global hook
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200
    service = SchedulerService(
        engine=engine, settings=settings, clock=Clock(), send=lambda ids, owner: None
    )

    assert service.tick() == 0  # nothing is due to publish; ticking does not send notifications
    assert receiver.received == []
    assert service.notify() == SendReport(sent=1)

    [message] = receiver.messages
    assert message["callsheet"]["event"] == "submitted"
    everything = client.get("/notifications").json()
    assert [(n["status"], n["attempts"]) for n in everything] == [("sent", 1)]


def test_a_hook_that_does_not_hear_an_event_gets_nothing(
    client: httpx.Client, session: Session, engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    add_hook(client, receiver, pid, events=["failed"])

    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200

    assert log_of(client, pid) == []
    assert send(engine, settings) == SendReport()
