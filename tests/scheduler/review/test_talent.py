"""Talent sign-off over real HTTP, on SQLite and PostgreSQL.

A featured talent whose sign-off is required gets a signed, one-time link, by email (a real
SMTP server here: ``mailbox``; how it is sent is ``test_talent_links.py``); final approval waits
(``talent_blockers``) until they approve the post's current version and content. Refused links
(tampered, expired, unknown, reused, superseded, for changed content) are 403, leave one
``talent.link_refused`` AuditEvent, and change nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core.config import get_settings
from scheduler.core.models import AuditEvent, Delivery, Post, Role, TalentSignoff
from scheduler.review.links import SALT, SIGNER_KWARGS, HideLinkTokens, derived_keys
from scheduler.review.signoffs import talent_blockers
from tests import factories
from tests.conftest import person_with_token
from tests.talent_contacts import Mailbox, api_link

BODY = "Night shift, take {{ take }}: {{ production.title }} on set."


def _post(
    client: httpx.Client,
    session: Session,
    tmp_path: Path,
    *,
    talent: list[dict[str, Any]],
    body: str = BODY,
) -> tuple[int, int, list[int]]:
    """A production, a post on two accounts featuring ``talent``: (production, post, talent)."""
    production = factories.production(session)
    pid = production.id or 0
    accounts = [
        factories.outbox_account(session, tmp_path / "a.jsonl", handle="@nightshiftfilm"),
        factories.outbox_account(session, tmp_path / "b.jsonl", handle="@nightshiftcrew"),
    ]
    post = factories.post(session, pid, accounts, body=body, variables={"take": 3})
    post.media = [{"url": "https://cdn.test/still.jpg", "kind": "image", "alt": "Ana at the slate"}]
    session.add(post)
    session.commit()
    ids = []
    for person in talent:
        added = client.post(f"/productions/{pid}/talent", json=person)
        assert added.status_code == 201, added.text
        ids.append(added.json()["id"])
    post.featured = list(ids)
    session.add(post)
    session.commit()
    return pid, post.id or 0, ids


def _request(client: httpx.Client, mailbox: Mailbox, post_id: int, **kwargs: Any) -> dict[str, Any]:
    """Ask for sign-off: the answer, with ``links``, what each asked talent received by email
    (the answer itself never holds a link), as paths of the API."""
    seen = len(mailbox.received)
    answer = client.post(f"/posts/{post_id}/signoffs", **kwargs)
    assert answer.status_code == 201, answer.text
    requested: dict[str, Any] = answer.json()
    assert "/signoff/" not in answer.text
    assert all(asked["send_state"] == "sent" for asked in requested["asked"])
    received = dict(mailbox.links()[seen:])
    requested["links"] = [
        {
            "talent": asked["talent"],
            "link": api_link(received[asked["sent_to"]]).removeprefix(str(client.base_url)),
            "expires_at": asked["expires_at"],
        }
        for asked in requested["asked"]
    ]
    return requested


def _blockers(engine: Engine, post_id: int) -> list[str]:
    """What final approval would be told, asked as the approval code asks."""
    with Session(engine) as s:
        return talent_blockers(session=s, post=s.get_one(Post, post_id))


def _signoffs(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.exec(select(TalentSignoff).order_by(col(TalentSignoff.id)))
        return [row.model_dump() for row in rows]


def _audit(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))))


ANA = {"name": "Ana Ruiz", "handle": "@ana.ruiz", "email": "Ana@Agency.film"}
BEN = {"name": "Ben Okafor", "email": "ben@agency.film"}


def test_talent_are_added_per_production_and_bad_input_names_its_field(
    client: httpx.Client, session: Session
) -> None:
    pid = factories.production(session).id or 0
    session.commit()
    viewer = person_with_token(session, name="Vi", email="vi@ns.test", roles={pid: Role.viewer})
    marketer = person_with_token(session, name="Mo", email="mo@ns.test", roles={pid: Role.marketer})

    added = client.post(
        f"/productions/{pid}/talent", json=ANA, headers={"Authorization": f"Bearer {marketer}"}
    )

    assert added.status_code == 201, added.text
    assert added.json()["email"] == "ana@agency.film"
    assert added.json()["sign_off_required"] is True
    listed = client.get(f"/productions/{pid}/talent", headers={"Authorization": f"Bearer {viewer}"})
    assert [t["name"] for t in listed.json()] == ["Ana Ruiz"]
    refused = client.post(
        f"/productions/{pid}/talent", json=BEN, headers={"Authorization": f"Bearer {viewer}"}
    )
    assert refused.status_code == 403
    for body, field in (
        ({"name": "  "}, "name"),
        ({"name": "Ana", "email": "not an email"}, "email"),
        ({"name": "Ana", "handle": "x" * 121}, "handle"),
        ({"name": "Ana", "agent": "Lou"}, "agent"),
    ):
        answer = client.post(f"/productions/{pid}/talent", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["loc"][-1] == field
    assert client.post("/productions/999999/talent", json=BEN).status_code == 404
    assert len(client.get(f"/productions/{pid}/talent").json()) == 1


def test_an_approving_link_clears_the_blocker(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    pid, post_id, (ana,) = _post(client, session, tmp_path, talent=[ANA])
    assert _blockers(engine, post_id) == ["Ana Ruiz has not been asked to sign off this post"]
    marketer = person_with_token(session, name="Mo", email="mo@ns.test", roles={pid: Role.marketer})

    requested = _request(client, mailbox, post_id, headers={"Authorization": f"Bearer {marketer}"})
    (link,) = requested["links"]
    assert requested["asked"][0]["talent_id"] == ana
    assert link["link"].startswith("/signoff/")
    preview = client.get(f"/posts/{post_id}/preview").json()
    hashes = "\n".join(sorted(p["content_hash"] for p in preview))
    assert requested["content_hash"] == hashlib.sha256(hashes.encode()).hexdigest()
    assert "has not answered yet" in _blockers(engine, post_id)[0]

    page = httpx.get(f"{client.base_url}{link['link']}")  # no credentials: the link is one
    assert page.status_code == 200, page.text
    shown = page.json()
    assert shown["talent"] == "Ana Ruiz"
    assert shown["state"] == "pending"
    assert {d["handle"] for d in shown["deliveries"]} == {"@nightshiftfilm", "@nightshiftcrew"}
    assert shown["deliveries"][0]["text"] == "Night shift, take 3: Night Shift on set."
    assert shown["deliveries"][0]["media"] == [
        {"url": "https://cdn.test/still.jpg", "kind": "image", "alt": "Ana at the slate"}
    ]

    approved = httpx.post(f"{client.base_url}{link['link']}", json={"decision": "approve"})

    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "approved"
    assert _blockers(engine, post_id) == []
    listed = client.get(f"/posts/{post_id}/signoffs").json()
    assert listed["blockers"] == []
    assert [(t["talent"], t["state"]) for t in listed["talent"]] == [("Ana Ruiz", "approved")]
    assert "signoff/" not in str(listed)
    events = [e for e in _audit(engine) if e.action.startswith("talent.")]
    assert [e.action for e in events] == [
        "talent.added",
        "talent.signoff_requested",
        "talent.link_sent",
        "talent.approved",
    ]
    token = link["link"].removeprefix("/signoff/")
    assert all(token not in str(e.model_dump()) for e in _audit(engine))
    again = _request(client, mailbox, post_id)
    assert again["links"] == []
    assert again["already_approved"] == ["Ana Ruiz"]


def test_a_decline_needs_a_reason_and_the_blocker_names_it(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    _, post_id, _ = _post(client, session, tmp_path, talent=[ANA])
    url = f"{client.base_url}{_request(client, mailbox, post_id)['links'][0]['link']}"

    for body in ({"decision": "decline"}, {"decision": "decline", "reason": "   "}):
        bare = httpx.post(url, json=body)
        assert bare.status_code == 422
        assert bare.json()["errors"][0]["loc"][-1] == "reason"
    too_long = httpx.post(url, json={"decision": "decline", "reason": "x" * 1001})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"][-1] == "reason"
    assert [row["decision"] for row in _signoffs(engine)] == ["pending"]

    declined = httpx.post(
        url, json={"decision": "decline", "reason": "That take shows my <b>unreleased</b> costume"}
    )

    assert declined.status_code == 200, declined.text
    assert _blockers(engine, post_id) == [
        "Ana Ruiz declined: That take shows my <b>unreleased</b> costume"
    ]
    (event,) = [e for e in _audit(engine) if e.action == "talent.declined"]
    assert event.reason == "That take shows my <b>unreleased</b> costume"


def test_tampered_expired_unknown_and_reused_links_are_403_audited_and_change_nothing(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    _, post_id, (ana, ben) = _post(client, session, tmp_path, talent=[ANA, BEN])
    links = [link["link"] for link in _request(client, mailbox, post_id)["links"]]
    ana_url, ben_url = (f"{client.base_url}{link}" for link in links)
    assert httpx.post(ana_url, json={"decision": "approve"}).status_code == 200
    with Session(engine) as s:  # Ben's link ran out in the database
        ben_row = s.exec(select(TalentSignoff).where(TalentSignoff.talent_id == ben)).one()
        ben_expired = ben_row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        s.add(ben_row)
        s.commit()
        ana_row = s.exec(select(TalentSignoff).where(TalentSignoff.talent_id == ana)).one()
    keys = derived_keys(get_settings().secret_keys.get_secret_value())
    payload, stamp, signature = links[0].removeprefix("/signoff/").split(".")
    forged = "X" if signature[0] != "X" else "Y"
    cases = {
        "tampered": f"/signoff/{payload}.{stamp}.{forged}{signature[1:]}",
        "made up": "/signoff/not-a-token",
        "expired": ben_url.removeprefix(str(client.base_url)),
        "signed too long ago": "/signoff/" + _signed_days_ago(keys, ana_row.link_id, days=8),
        "unknown": "/signoff/"
        + URLSafeTimedSerializer(keys, salt=SALT, signer_kwargs=SIGNER_KWARGS).dumps(
            {"link_id": "no-such-link"}
        ),
        "reused": links[0],
    }
    before_rows, before_events = _signoffs(engine), len(_audit(engine))

    answers = {
        name: (
            httpx.get(f"{client.base_url}{path}"),
            httpx.post(f"{client.base_url}{path}", json={"decision": "decline", "reason": "no"}),
        )
        for name, path in cases.items()
    }

    for name, pair in answers.items():
        assert [a.status_code for a in pair] == [403, 403], name
    assert "changed or cut short" in answers["tampered"][1].json()["detail"]
    assert "expired" in answers["expired"][1].json()["detail"]
    assert "expired" in answers["signed too long ago"][1].json()["detail"]
    assert "not known" in answers["unknown"][1].json()["detail"]
    assert "already used" in answers["reused"][1].json()["detail"]
    assert _signoffs(engine) == before_rows
    new = _audit(engine)[before_events:]
    assert [e.action for e in new] == ["talent.link_refused"] * 2 * len(cases)
    refusals = [(e.after or {}).get("refusal") for e in new]
    assert refusals == [
        r for r in ("tampered", "tampered", "expired", "expired", "unknown", "used") for _ in "gp"
    ]
    assert all(e.reason for e in new)
    tokens = [path.removeprefix("/signoff/") for path in cases.values()]
    assert not [t for t in tokens for e in _audit(engine) if t in str(e.model_dump())]
    assert _blockers(engine, post_id) == [
        "Ben Okafor did not answer before their link expired "
        f"({ben_expired:%Y-%m-%d %H:%M} UTC); ask again"
    ]


def _signed_days_ago(keys: list[bytes], link_id: str, *, days: int) -> str:
    """A genuine signature over a real link id, made ``days`` ago."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * 86400

    serializer = URLSafeTimedSerializer(
        keys, salt=SALT, signer=Earlier, signer_kwargs=SIGNER_KWARGS
    )
    return serializer.dumps({"link_id": link_id})


def test_two_answers_racing_through_one_link_count_once(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    _, post_id, _ = _post(client, session, tmp_path, talent=[ANA])
    url = f"{client.base_url}{_request(client, mailbox, post_id)['links'][0]['link']}"
    results: list[int] = []
    start = threading.Barrier(4)

    def answer(decision: str) -> None:
        body = {"decision": decision, "reason": "both at once"}
        start.wait()
        results.append(httpx.post(url, json=body, timeout=60).status_code)

    threads = [threading.Thread(target=answer, args=(d,)) for d in ("approve", "decline") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)

    assert sorted(results) == [200, 403, 403, 403]
    (row,) = _signoffs(engine)
    decided = [e for e in _audit(engine) if e.action in ("talent.approved", "talent.declined")]
    assert [e.action for e in decided] == [f"talent.{row['decision']}"]


def test_an_edit_after_sign_off_brings_the_blocker_back(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    _, post_id, _ = _post(client, session, tmp_path, talent=[ANA, BEN])
    ana_link, ben_link = (link["link"] for link in _request(client, mailbox, post_id)["links"])
    assert httpx.post(f"{client.base_url}{ana_link}", json={"decision": "approve"}).is_success
    assert len(_blockers(engine, post_id)) == 1  # Ben has not answered

    edited = client.patch(f"/posts/{post_id}", json={"version": 1, "body": "Wrap party tonight."})
    assert edited.status_code == 200, edited.text

    assert _blockers(engine, post_id) == [
        "Ana Ruiz's approval was for version 1; the post is now at version 2: ask again",
        "Ben Okafor's request was for version 1; the post is now at version 2: ask again",
    ]
    stale = httpx.post(f"{client.base_url}{ben_link}", json={"decision": "approve"})
    assert stale.status_code == 403
    assert "new link is needed" in stale.json()["detail"]
    assert [row["decision"] for row in _signoffs(engine)] == ["approved", "pending"]
    fresh = _request(client, mailbox, post_id)
    assert [link["talent"] for link in fresh["links"]] == ["Ana Ruiz", "Ben Okafor"]
    for link in fresh["links"]:
        page = httpx.get(f"{client.base_url}{link['link']}").json()
        assert page["deliveries"][0]["text"] == "Wrap party tonight."
        assert httpx.post(
            f"{client.base_url}{link['link']}", json={"decision": "approve"}
        ).is_success
    assert _blockers(engine, post_id) == []


def test_content_that_changes_without_an_edit_needs_a_new_sign_off(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    """A template that prints its due date says something else when the date moves."""
    body = "See you on set {{ due.date }}, take {{ take }}."
    _, post_id, _ = _post(client, session, tmp_path, talent=[ANA, BEN], body=body)
    ana_link, ben_link = (link["link"] for link in _request(client, mailbox, post_id)["links"])
    assert httpx.post(f"{client.base_url}{ana_link}", json={"decision": "approve"}).is_success

    with Session(engine) as s:  # what a milestone move does to the due time
        for delivery in s.exec(select(Delivery).where(Delivery.post_id == post_id)):
            delivery.due_at += timedelta(days=2)
            delivery.planned_at = delivery.due_at
            s.add(delivery)
        s.commit()

    blockers = _blockers(engine, post_id)
    assert blockers[0] == (
        "Ana Ruiz's approval was for the post as it read then; what it says has changed since "
        "(a date, an account or a medium it shows): ask again"
    )
    assert blockers[1].startswith("Ben Okafor's request was for the post as it read then")
    stale = httpx.get(f"{client.base_url}{ben_link}")
    assert stale.status_code == 403
    assert "new link is needed" in stale.json()["detail"]


def test_a_new_request_supersedes_the_earlier_link(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    _, post_id, _ = _post(client, session, tmp_path, talent=[ANA])
    first = _request(client, mailbox, post_id)["links"][0]["link"]
    second = _request(client, mailbox, post_id)["links"][0]["link"]

    old = httpx.post(f"{client.base_url}{first}", json={"decision": "approve"})

    assert old.status_code == 403
    assert "newer sign-off link" in old.json()["detail"]
    assert httpx.post(f"{client.base_url}{second}", json={"decision": "approve"}).is_success
    assert _blockers(engine, post_id) == []


def test_a_marketer_may_ask_for_sign_off_and_a_viewer_may_not(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    pid, post_id, _ = _post(client, session, tmp_path, talent=[ANA])
    viewer = person_with_token(session, name="Vi", email="vi@ns.test", roles={pid: Role.viewer})
    marketer = person_with_token(session, name="Mo", email="mo@ns.test", roles={pid: Role.marketer})
    as_viewer = {"Authorization": f"Bearer {viewer}"}

    refused = client.post(f"/posts/{post_id}/signoffs", headers=as_viewer)

    assert refused.status_code == 403
    assert "marketer" in refused.json()["detail"]
    assert _signoffs(engine) == []
    assert client.get(f"/posts/{post_id}/signoffs", headers=as_viewer).status_code == 200
    _request(client, mailbox, post_id, headers={"Authorization": f"Bearer {marketer}"})
    assert len(_signoffs(engine)) == 1


def test_talent_without_sign_off_required_never_blocks(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    extra = {"name": "Cas Lee", "sign_off_required": False}
    pid, post_id, (cas,) = _post(client, session, tmp_path, talent=[extra])

    assert _blockers(engine, post_id) == []
    nobody = client.post(f"/posts/{post_id}/signoffs")
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["loc"][-1] == "featured"
    listed = client.get(f"/posts/{post_id}/signoffs").json()
    assert [(t["talent"], t["state"]) for t in listed["talent"]] == [("Cas Lee", "not_required")]

    ana = client.post(f"/productions/{pid}/talent", json=ANA).json()["id"]
    _feature(engine, post_id, [cas, ana])
    requested = _request(client, mailbox, post_id)
    assert [link["talent"] for link in requested["links"]] == ["Ana Ruiz"]
    assert _blockers(engine, post_id) == ["Ana Ruiz has not answered yet" + _expiry(requested)]


def _feature(engine: Engine, post_id: int, talent_ids: list[int]) -> None:
    """Set ``Post.featured`` directly, as the post API will."""
    with Session(engine) as s:
        post = s.get_one(Post, post_id)
        post.featured = talent_ids
        s.add(post)
        s.commit()


def _expiry(requested: dict[str, Any]) -> str:
    expires = datetime.fromisoformat(requested["links"][0]["expires_at"])
    return f" (their link expires {expires:%Y-%m-%d %H:%M} UTC)"


def test_a_featured_id_naming_no_talent_of_the_production_blocks(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    _, post_id, (ana,) = _post(client, session, tmp_path, talent=[ANA])
    elsewhere = factories.production(session).id or 0
    session.commit()
    other = client.post(f"/productions/{elsewhere}/talent", json=BEN).json()["id"]
    _feature(engine, post_id, [ana, other])

    assert _blockers(engine, post_id)[0] == (
        f"featured talent {other} is not on this production's talent list"
    )
    refused = client.post(f"/posts/{post_id}/signoffs")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "featured"


def test_link_tokens_are_kept_out_of_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/signoff/eyJsaW5rX2lkIjoi.Zx1.abc-_9?x=1", "1.1", 403),
        None,
    )

    assert HideLinkTokens().filter(record)

    assert record.getMessage() == '127.0.0.1:5000 - "POST /signoff/<token>?x=1 HTTP/1.1" 403'


@pytest.mark.parametrize("name", ["uvicorn.access", "uvicorn.error"])
def test_the_api_puts_the_filter_on_uvicorns_loggers(client: httpx.Client, name: str) -> None:
    assert any(isinstance(f, HideLinkTokens) for f in logging.getLogger(name).filters)
