"""Two productions: whatever role a person holds in one, the other's routes, accounts and
deliveries stay closed to them, and nothing of it changes. Over real HTTP, on SQLite and
PostgreSQL.

The walk takes every route of ``POLICY`` that acts on a production, fills its path and body
with production B's things (its production, post, delivery, account, pause), and calls it as
the admin, the producer and the marketer of production A: each answer is 403, 404 or 422.
Routes that mix both (granting B's account to A, targeting B's account from A's post, A's
schedule import naming B's account) are tried on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scheduler.core.models import AccountProduction, AuditEvent, Delivery, Post, Role
from scheduler.http.policy import POLICY, Scope
from tests import factories
from tests.conftest import person_with_token
from tests.scheduler.api.test_access import _blackout

#: Roles of production A whose holders are tried on production B.
ROLES_IN_A = (Role.admin, Role.producer, Role.marketer)
REFUSED = (403, 404, 422)


@dataclass(frozen=True)
class TwoProductions:
    a: int
    b: int
    account_a: int
    account_b: int
    post_a: int
    post_b: int
    delivery_b: int
    pause_b: int
    milestone_b: int
    headers: dict[Role, dict[str, str]]


def _two_productions(client: httpx.Client, session: Session, tmp_path: Path) -> TwoProductions:
    a = factories.production(session).id or 0
    b = factories.production(session).id or 0
    account_a = factories.outbox_account(session, tmp_path / "a.jsonl", "@a", production_ids=[a])
    account_b = factories.outbox_account(session, tmp_path / "b.jsonl", "@b", production_ids=[b])
    post_a = factories.post(session, a, [account_a])
    post_b = factories.approved_post(session, b, [account_b])
    milestone_b = factories.premiere(session, b, datetime.now(UTC) + timedelta(days=60))
    delivery_b = session.exec(select(Delivery.id).where(Delivery.post_id == post_b.id)).one()
    session.commit()
    pause = client.post("/pauses", json={"scope": "production", "production_id": b, "reason": "x"})
    assert pause.status_code == 201, pause.text
    headers = {
        role: {
            "Authorization": "Bearer "
            + person_with_token(
                session, name=role.value, email=f"{role.value}@a.test", roles={a: role}
            )
        }
        for role in ROLES_IN_A
    }
    return TwoProductions(
        a=a,
        b=b,
        account_a=account_a.id or 0,
        account_b=account_b.id or 0,
        post_a=post_a.id or 0,
        post_b=post_b.id or 0,
        delivery_b=delivery_b or 0,
        pause_b=pause.json()["id"],
        milestone_b=milestone_b,
        headers=headers,
    )


def _state(engine: Engine) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    with Session(engine) as s:
        return (
            sorted(tuple(r) for r in s.exec(select(Delivery.id, Delivery.status)).all()),
            sorted(tuple(r) for r in s.exec(select(Post.id, Post.version, Post.status)).all()),
            sorted(
                (link.account_id, link.production_id) for link in s.exec(select(AccountProduction))
            ),
            s.exec(select(func.count()).select_from(AuditEvent)).one(),
        )


def test_a_member_of_one_production_is_refused_every_route_of_another(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    ids = {
        "production_id": two.b,
        "post_id": two.post_b,
        "delivery_id": two.delivery_b,
        "account_id": two.account_b,
        "pause_id": two.pause_b,
        "milestone_id": two.milestone_b,
        "person_id": 1,
        "hook_id": 1,
        "blackout_id": _blackout(client, two.b),
        "embargo_id": client.post(
            f"/productions/{two.b}/embargoes",
            json={"tag": "casting", "milestone_id": two.milestone_b},
        ).json()["id"],
        "talent_id": client.post(f"/productions/{two.b}/talent", json={"name": "Cas Lee"}).json()[
            "id"
        ],
    }
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/accounts"): {
            "platform": "outbox",
            "handle": "@new",
            "settings": {"path": "x"},
            "production_ids": [two.b],
        },
        ("PUT", "/accounts/{account_id}/credentials"): {"settings": {"path": "y"}},
        ("POST", "/posts"): {
            "production_id": two.b,
            "pillar": "on_set",
            "body": "Hi",
            "anchor": {"at": "2030-01-01T10:00:00Z"},
            "account_ids": [two.account_b],
        },
        ("PATCH", "/posts/{post_id}"): {"version": 1, "body": "changed"},
        ("POST", "/pauses"): {"scope": "production", "production_id": two.b, "reason": "x"},
        ("POST", "/blackouts"): {
            "production_id": two.b,
            "starts_at": "2030-01-01T10:00:00Z",
            "ends_at": "2030-01-02T10:00:00Z",
            "reason": "x",
        },
    }
    queries = {("GET", "/audit"): {"production_id": two.b}}
    before = _state(engine)
    wrong = []
    for (method, template), rule in sorted(POLICY.items()):
        if rule.scope in (Scope.public, Scope.signed_in):
            continue  # no production of anyone's (lists are checked on their own)
        # An id this walk has no row for (a new route's) names nothing: still refused.
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 999_999)), template)
        for role, headers in two.headers.items():
            answer = client.request(
                method,
                path,
                headers=headers,
                params=queries.get((method, template)),
                json=bodies.get((method, template)),
            )
            if answer.status_code not in REFUSED:
                wrong.append(f"{method} {path} as {role} of A: {answer.status_code}")
    # An account pause is a site admin's: no production admin stops another's account.
    for role, headers in two.headers.items():
        body = {"scope": "account", "account_id": two.account_b, "reason": "x"}
        answer = client.post("/pauses", json=body, headers=headers)
        if answer.status_code != 403:
            wrong.append(f"POST /pauses (B's account) as {role} of A: {answer.status_code}")
    assert wrong == []
    assert _state(engine) == before


def test_accounts_cross_no_production_line_without_an_admin_of_both(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    admin_a = two.headers[Role.admin]
    before = _state(engine)

    refused = [
        client.put(f"/accounts/{two.account_b}/productions/{two.a}", headers=admin_a),
        client.put(f"/accounts/{two.account_a}/productions/{two.b}", headers=admin_a),
        client.delete(f"/accounts/{two.account_b}/productions/{two.b}", headers=admin_a),
        client.put(
            f"/accounts/{two.account_b}/credentials",
            json={"settings": {"path": "/tmp/elsewhere.jsonl"}},
            headers=admin_a,
        ),
        client.post(
            "/accounts",
            json={
                "platform": "outbox",
                "handle": "@both",
                "settings": {"path": "x"},
                "production_ids": [two.a, two.b],
            },
            headers=admin_a,
        ),
        client.post(
            "/accounts",
            json={"platform": "outbox", "handle": "@none", "settings": {"path": "x"}},
            headers=admin_a,
        ),
    ]

    assert [answer.status_code for answer in refused] == [403] * len(refused)
    assert _state(engine) == before


def test_a_post_may_target_only_its_own_productions_accounts(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    marketer = two.headers[Role.marketer]
    before = _state(engine)
    post = {
        "production_id": two.a,
        "pillar": "on_set",
        "body": "Night shift, take 4.",
        "anchor": {"at": "2030-01-01T10:00:00Z"},
    }

    theirs = client.post("/posts", json={**post, "account_ids": [two.account_b]}, headers=marketer)
    nobody = client.post("/posts", json={**post, "account_ids": [999_999]}, headers=marketer)
    edited = client.patch(
        f"/posts/{two.post_a}",
        json={"version": 1, "account_ids": [two.account_a, two.account_b]},
        headers=marketer,
    )

    assert theirs.status_code == 422, theirs.text
    assert theirs.json()["errors"][0]["loc"][-1] == "account_ids"
    assert str(two.account_b) in theirs.json()["errors"][0]["msg"]
    # Refused in the same words as an account that does not exist: nothing is revealed.
    assert nobody.status_code == 422
    assert theirs.json()["errors"][0]["msg"] == nobody.json()["errors"][0]["msg"].replace(
        "999999", str(two.account_b)
    )
    assert edited.status_code == 422, edited.text
    assert edited.json()["errors"][0]["loc"][-1] == "account_ids"
    assert _state(engine) == before


def test_a_schedule_import_cannot_name_another_productions_account(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    header = "pillar,body,milestone,offset,local_time,at,platform,handle"
    before = _state(engine)

    def upload(handle: str) -> httpx.Response:
        return client.post(
            f"/productions/{two.a}/schedule.csv",
            content=f"{header}\non_set,Hi,,,,2030-01-01T10:00:00Z,outbox,{handle}\n".encode(),
            headers={"Content-Type": "text/csv", **two.headers[Role.marketer]},
        )

    theirs, nobody = upload("@b"), upload("@nobody")

    assert theirs.status_code == 422, theirs.text
    problem = theirs.json()["errors"][0]
    assert problem["loc"][-1] == "handle"
    assert problem["msg"] == nobody.json()["errors"][0]["msg"].replace("@nobody", "@b")
    assert _state(engine) == before


def test_lists_of_accounts_show_only_the_callers_productions(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    shared = factories.outbox_account(
        session, tmp_path / "s.jsonl", "@shared", production_ids=[two.a, two.b]
    )
    site_only = factories.outbox_account(session, tmp_path / "n.jsonl", "@site")
    session.commit()
    marketer = two.headers[Role.marketer]

    listed = client.get("/accounts", headers=marketer).json()
    assert [a["id"] for a in listed] == [two.account_a, shared.id]
    assert [(a["id"], a["production_ids"]) for a in listed] == [
        (two.account_a, [two.a]),
        (shared.id, [two.a]),  # B, which the marketer is not part of, is not named
    ]
    assert client.get(f"/accounts?production_id={two.b}", headers=marketer).json() == []
    everything = client.get("/accounts").json()  # a site admin
    assert [a["id"] for a in everything] == [two.account_a, two.account_b, shared.id, site_only.id]
    only_b = client.get(f"/accounts?production_id={two.b}").json()
    assert [a["id"] for a in only_b] == [two.account_b, shared.id]
    deliveries = client.get("/deliveries", headers=marketer).json()
    assert {d["post_id"] for d in deliveries} == {two.post_a}


def test_an_admin_of_both_grants_and_withdraws_an_account_audited(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    both = {
        "Authorization": "Bearer "
        + person_with_token(
            session, name="Bo", email="bo@a.test", roles={two.a: Role.admin, two.b: Role.admin}
        )
    }

    granted = client.put(f"/accounts/{two.account_b}/productions/{two.a}", headers=both)
    again = client.put(f"/accounts/{two.account_b}/productions/{two.a}", headers=both)
    busy = client.delete(f"/accounts/{two.account_b}/productions/{two.b}", headers=both)
    withdrawn = client.delete(f"/accounts/{two.account_b}/productions/{two.a}", headers=both)

    assert granted.status_code == 200, granted.text
    assert granted.json()["production_ids"] == [two.a, two.b]
    assert again.status_code == 200
    # B's approved post still goes out on it: withdrawing it from B is refused, naming the post.
    assert busy.status_code == 409, busy.text
    assert str(two.post_b) in busy.json()["detail"]
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["production_ids"] == [two.b]
    with Session(engine) as s:
        events = s.exec(
            select(AuditEvent.action, AuditEvent.actor)
            .where(col(AuditEvent.action).in_(["account.granted", "account.withdrawn"]))
            .order_by(col(AuditEvent.id))
        ).all()
    assert [tuple(e) for e in events] == [
        ("account.granted", "Bo <bo@a.test>"),
        ("account.withdrawn", "Bo <bo@a.test>"),
    ]


def test_reconnecting_needs_an_admin_of_every_production_the_account_serves(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    two = _two_productions(client, session, tmp_path)
    shared = factories.outbox_account(
        session, tmp_path / "s.jsonl", "@shared", production_ids=[two.a, two.b]
    )
    session.commit()
    admin_a = two.headers[Role.admin]
    fresh = {"settings": {"path": str(tmp_path / "fresh.jsonl")}}

    own = client.put(f"/accounts/{two.account_a}/credentials", json=fresh, headers=admin_a)
    both = client.put(f"/accounts/{shared.id}/credentials", json=fresh, headers=admin_a)
    by_producer = client.put(
        f"/accounts/{two.account_a}/credentials", json=fresh, headers=two.headers[Role.producer]
    )

    assert own.status_code == 200, own.text
    assert both.status_code == 403
    assert f"production {two.b}" in both.json()["detail"]
    assert by_producer.status_code == 403
