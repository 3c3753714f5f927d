"""A talent's sign-off link goes to the talent's own email or hook, never to whoever asked.

Over real HTTP, on SQLite and PostgreSQL, with a real SMTP server (aiosmtpd) and a real hook
receiver. The link is taken from what the talent received and answered through the public
route; the team's answers, the audit trail, the notifications and the log never hold it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from scheduler.core.config import get_settings
from scheduler.core.models import AuditEvent, Role, TalentSignoff
from tests.conftest import person_with_token
from tests.scheduler.review.test_talent import ANA, BEN, _blockers, _post
from tests.talent_contacts import PASSWORD, HookCatcher, Mailbox, api_link


def _as(session: Session, pid: int, role: Role) -> dict[str, str]:
    name = role.value
    token = person_with_token(session, name=name, email=f"{name}@ns.test", roles={pid: role})
    return {"Authorization": f"Bearer {token}"}


def _everything_the_team_can_read(client: httpx.Client, pid: int, post_id: int) -> str:
    """Every answer where a link could leak: sign-offs, the roster, the audit trail (whole,
    and the production's), notifications (the production's and all)."""
    reads = [
        client.get(f"/posts/{post_id}/signoffs"),
        client.get(f"/productions/{pid}/talent"),
        client.get("/audit", params={"limit": 500}),
        client.get("/audit", params={"production_id": pid}),
        client.get(f"/productions/{pid}/notifications"),
        client.get("/notifications"),
    ]
    assert all(r.status_code == 200 for r in reads), [r.text for r in reads]
    return "\n".join(r.text for r in reads)


def _token(link: str) -> str:
    return link.rsplit("/signoff/", 1)[1]


def test_the_link_is_emailed_to_the_talent_and_the_marketer_never_sees_it(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # whatever any part of the API would say
    pid, post_id, (ana,) = _post(client, session, tmp_path, talent=[ANA])
    marketer = _as(session, pid, Role.marketer)

    asked = client.post(f"/posts/{post_id}/signoffs", headers=marketer)

    assert asked.status_code == 201, asked.text
    assert "/signoff/" not in asked.text  # before: {"links": [{"link": "/signoff/eyJ…"}]}
    (row,) = asked.json()["asked"]
    assert (row["talent"], row["channel"], row["sent_to"]) == ("Ana Ruiz", "email", ANA_EMAIL)
    assert (row["send_state"], row["send_error"]) == ("sent", None)
    ((to, message),) = mailbox.received
    assert to == [ANA_EMAIL]
    assert message["To"] == f"Ana Ruiz <{ANA_EMAIL}>"
    assert message["Subject"] == f"Night Shift: please approve post {post_id}, which features you"
    ((_, link),) = mailbox.links()
    assert link.startswith(f"{client.base_url}/app/signoff/")  # the page the talent reads
    token = _token(link)
    link = api_link(link)  # the API, answering JSON for the same token
    assert token not in asked.text

    shown = httpx.get(link)  # the talent, with no account: the link is their credential
    assert shown.status_code == 200, shown.text
    assert shown.json()["talent"] == "Ana Ruiz"
    approved = httpx.post(link, json={"decision": "approve"})

    assert approved.status_code == 200, approved.text
    assert _blockers(engine, post_id) == []
    listed = client.get(f"/posts/{post_id}/signoffs", headers=marketer).json()
    (standing,) = listed["talent"]
    assert (standing["state"], standing["send_state"], standing["sent_to"]) == (
        "approved",
        "sent",
        ANA_EMAIL,
    )
    readable = _everything_the_team_can_read(client, pid, post_id)
    assert token not in readable
    assert "/signoff/" not in readable
    with Session(engine) as s:
        events = list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))))
    assert [e.action for e in events if e.action.startswith("talent.")] == [
        "talent.added",
        "talent.signoff_requested",
        "talent.link_sent",
        "talent.approved",
    ]
    (sent,) = [e for e in events if e.action == "talent.link_sent"]
    assert sent.actor == "marketer <marketer@ns.test>"
    assert sent.after == {
        "post_id": post_id,
        "talent_id": ana,
        "channel": "email",
        "sent_to": ANA_EMAIL,
    }
    logged = "\n".join(  # the API's log; the test's own client logs what the talent opened
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "link sent to talent" in logged
    assert token not in logged
    assert PASSWORD not in logged


ANA_EMAIL = str(ANA["email"]).lower()


def test_a_talent_who_chose_a_hook_gets_the_link_there_and_the_hook_is_shown_by_host(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
    hooks: HookCatcher,
) -> None:
    secret_path = "/agents/lou/k9-SECRET-PATH"
    ben = {**BEN, "hook_url": hooks.url(secret_path)}
    pid, post_id, (ben_id,) = _post(client, session, tmp_path, talent=[ben])
    host = hooks.url("").rstrip("/")

    roster = client.get(f"/productions/{pid}/talent").json()
    assert roster[0]["hook"] == f"{host}/…"
    asked = client.post(f"/posts/{post_id}/signoffs")

    assert asked.status_code == 201, asked.text
    (row,) = asked.json()["asked"]
    assert (row["channel"], row["sent_to"], row["send_state"]) == ("hook", f"{host}/…", "sent")
    assert mailbox.received == []  # the hook is the talent's choice
    (received,) = hooks.received
    assert received["path"] == secret_path
    assert received["json"]["callsheet"]["talent"] == "Ben Okafor"
    assert received["json"]["callsheet"]["post_id"] == post_id
    (link,) = hooks.links()
    assert link in received["json"]["text"]
    assert httpx.post(api_link(link), json={"decision": "approve"}).status_code == 200
    assert _blockers(engine, post_id) == []
    readable = _everything_the_team_can_read(client, pid, post_id)
    assert _token(link) not in readable
    assert "SECRET-PATH" not in readable
    with Session(engine) as s:
        stored = s.exec(select(TalentSignoff)).one()
    assert (stored.channel, stored.sent_to) == ("hook", f"{host}/…")
    assert ben_id == stored.talent_id


@pytest.mark.parametrize("failure", ["refused", "not listening"])
def test_a_link_the_mail_server_did_not_take_is_not_sent_and_a_producer_sends_it_again(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    idle_mailbox: Mailbox,
    failure: str,
) -> None:
    pid, post_id, _ = _post(client, session, tmp_path, talent=[ANA])
    marketer, producer = _as(session, pid, Role.marketer), _as(session, pid, Role.producer)
    if failure == "refused":
        idle_mailbox.refused.add(ANA_EMAIL)
        idle_mailbox.start()
        why = f"the mail server refused the address: 550 5.1.1 <{ANA_EMAIL}>: Recipient"
    else:
        why = f"could not reach the mail server at 127.0.0.1:{idle_mailbox.port} ("

    asked = client.post(f"/posts/{post_id}/signoffs", headers=marketer)

    assert asked.status_code == 201, asked.text
    (row,) = asked.json()["asked"]
    assert row["send_state"] == "not_sent"
    assert row["send_error"].startswith(why), row["send_error"]
    assert PASSWORD not in asked.text
    standing = client.get(f"/posts/{post_id}/signoffs").json()["talent"][0]
    assert (standing["state"], standing["send_state"]) == ("pending", "not_sent")
    assert standing["send_error"] == row["send_error"]
    resend = f"/posts/{post_id}/signoffs/{row['signoff_id']}/resend"
    refused = client.post(resend, headers=marketer)
    assert refused.status_code == 403  # asking is a marketer's; sending again a producer's
    assert "producer" in refused.json()["detail"]

    idle_mailbox.refused.clear()
    if not idle_mailbox.running:
        idle_mailbox.start()
    again = client.post(resend, headers=producer)

    assert again.status_code == 200, again.text
    assert (again.json()["send_state"], again.json()["send_error"]) == ("sent", None)
    assert again.json()["signoff_id"] != row["signoff_id"]
    assert "/signoff/" not in again.text
    ((_, link),) = idle_mailbox.links()
    assert httpx.post(api_link(link), json={"decision": "approve"}).status_code == 200
    assert _blockers(engine, post_id) == []
    stale = client.post(resend)  # the first request was replaced by the re-sent one
    assert stale.status_code == 409
    assert f"replaced by request {again.json()['signoff_id']}" in stale.json()["detail"]
    with Session(engine) as s:
        actions = s.exec(
            select(AuditEvent.action).where(col(AuditEvent.action).like("talent.%"))
        ).all()
    assert list(actions) == [
        "talent.added",
        "talent.signoff_requested",
        "talent.link_not_sent",
        "talent.signoff_resent",
        "talent.link_sent",
        "talent.approved",
    ]


def test_asking_for_talent_with_nowhere_to_send_is_refused_naming_them_and_writes_nothing(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path, mailbox: Mailbox
) -> None:
    cas: dict[str, Any] = {"name": "Cas Lee", "handle": "@caslee"}
    pid, post_id, (ana, cas_id) = _post(client, session, tmp_path, talent=[ANA, cas])
    with Session(engine) as s:
        events_before = s.exec(select(func.count()).select_from(AuditEvent)).one()

    refused = client.post(f"/posts/{post_id}/signoffs")

    assert refused.status_code == 422
    (problem,) = refused.json()["errors"]
    assert problem["loc"] == ["body", "featured"]
    assert problem["msg"].startswith("add an email or a hook for Cas Lee")
    assert mailbox.received == []
    with Session(engine) as s:
        assert s.exec(select(TalentSignoff)).all() == []
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == events_before

    changed = client.patch(f"/productions/{pid}/talent/{cas_id}", json={"email": "cas@ns.film"})
    assert changed.status_code == 200, changed.text
    asked = client.post(f"/posts/{post_id}/signoffs")
    assert asked.status_code == 201, asked.text
    assert [r["sent_to"] for r in asked.json()["asked"]] == [ANA_EMAIL, "cas@ns.film"]
    assert len(mailbox.received) == 2
    assert ana != cas_id


def test_a_talents_hook_is_checked_by_the_egress_policy_when_saved(
    client: httpx.Client, session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid, _, (ana,) = _post(client, session, tmp_path, talent=[ANA])
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    try:
        for url, words in (
            ("http://169.254.169.254/latest/", "169.254.169.254 is a link-local address"),
            ("file:///etc/passwd", "must be an http:// or https:// URL"),
        ):
            added = client.post(f"/productions/{pid}/talent", json={"name": "Lee", "hook_url": url})
            changed = client.patch(f"/productions/{pid}/talent/{ana}", json={"hook_url": url})
            for answer in (added, changed):
                assert answer.status_code == 422, answer.text
                (problem,) = answer.json()["errors"]
                assert problem["loc"][-1] == "hook_url"
                assert words in problem["msg"]
    finally:
        monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
        get_settings.cache_clear()
    assert [t["name"] for t in client.get(f"/productions/{pid}/talent").json()] == ["Ana Ruiz"]
    assert client.get(f"/productions/{pid}/talent").json()[0]["hook"] is None


def test_a_hook_that_answers_with_an_error_leaves_the_link_not_sent(
    client: httpx.Client, session: Session, tmp_path: Path, hooks: HookCatcher
) -> None:
    hooks.status = 500
    _, post_id, _ = _post(
        client, session, tmp_path, talent=[{**BEN, "hook_url": hooks.url("/t/k9-SECRET")}]
    )

    asked = client.post(f"/posts/{post_id}/signoffs")

    assert asked.status_code == 201, asked.text
    (row,) = asked.json()["asked"]
    assert row["send_state"] == "not_sent"
    assert row["send_error"] == f"{hooks.url('')}/… answered HTTP 500: nope"
    assert "SECRET" not in asked.text


def test_a_name_cannot_add_a_header_to_the_email(
    client: httpx.Client, session: Session, tmp_path: Path, mailbox: Mailbox
) -> None:
    sly = {"name": "Ana Ruiz\r\nBcc: spy@elsewhere.test", "email": "ana@agency.film"}
    _, post_id, _ = _post(client, session, tmp_path, talent=[sly])

    asked = client.post(f"/posts/{post_id}/signoffs")

    assert asked.status_code == 201, asked.text
    assert asked.json()["asked"][0]["send_state"] == "sent"
    ((to, message),) = mailbox.received
    assert to == ["ana@agency.film"]
    assert message["Bcc"] is None
    assert "\n" not in message["To"]


def test_a_hook_that_now_leads_to_a_private_address_is_refused_when_sending(
    client: httpx.Client,
    session: Session,
    tmp_path: Path,
    hooks: HookCatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Saved while allowed (as a name public then and rebound to 127.0.0.1 since would be):
    the connect-time check refuses it, and nothing reaches the address."""
    ben = {**BEN, "hook_url": hooks.url("/t/k9-SECRET")}
    _, post_id, _ = _post(client, session, tmp_path, talent=[ben])
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    try:
        asked = client.post(f"/posts/{post_id}/signoffs")
    finally:
        monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
        get_settings.cache_clear()

    assert asked.status_code == 201, asked.text
    (row,) = asked.json()["asked"]
    assert row["send_state"] == "not_sent"
    assert row["send_error"].startswith("not sent: 127.0.0.1 is a loopback address")
    assert hooks.received == []
    assert "SECRET" not in asked.text
