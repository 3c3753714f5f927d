"""Signing in and roles: every route by every role gets the answer docs/access.md documents.

Over real HTTP, on SQLite and PostgreSQL. "Allowed" means the access check let the request
through: whatever the route then answers (200, 201, 404, 409, 422), it is not 401 or 403.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from scheduler.core.db import create_db_engine
from scheduler.core.models import AccessToken, Account, Person, Post, Role, TalentSignoff
from scheduler.http.access import check_policy_covers
from scheduler.http.policy import POLICY, Rule, Scope, access_table
from scheduler.people.members import issue_sign_in_link, signed_in
from scheduler.review.links import make_token
from tests import factories
from tests.conftest import person_with_token
from tests.scheduler.media.test_uploads import png, upload

ROOT = Path(__file__).resolve().parents[3]
#: Every kind of caller: no one, a stranger, each role in the production, a site admin.
CALLERS = ["anonymous", "outsider", "viewer", "marketer", "producer", "admin", "site_admin"]


def _allowed(rule: Rule, caller: str) -> bool:
    if rule.scope is Scope.public:
        return True
    if caller == "anonymous":
        return False
    if rule.scope is Scope.signed_in or caller == "site_admin":
        return True
    if rule.scope is Scope.site or caller == "outsider":
        return False
    assert rule.role is not None
    return Role(caller).rank >= rule.role.rank


def test_docs_access_md_is_the_policy() -> None:
    documented = (ROOT / "docs" / "access.md").read_text()
    assert access_table() in documented


def test_an_app_with_a_route_the_policy_does_not_name_refuses_to_start() -> None:
    app = FastAPI()

    @app.get("/forgotten")
    def forgotten() -> None: ...

    with pytest.raises(RuntimeError, match="forgotten"):
        check_policy_covers(app)


def test_every_route_by_every_role(
    client: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    milestone = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=60))
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    post = factories.approved_post(session, pid, [account])
    session.commit()
    delivery_id = client.get("/deliveries").json()[0]["id"]
    tokens = {
        caller: person_with_token(
            session,
            name=caller,
            email=f"{caller}@nightshift.test",
            site_admin=caller == "site_admin",
            roles={pid: Role(caller)} if caller in Role.__members__ else {},
        )
        for caller in CALLERS
        if caller != "anonymous"
    }
    bystander = factories.person(session, "ana@nightshift.test")
    session.commit()
    ids = {
        "production_id": pid,
        "milestone_id": milestone,
        "post_id": post.id,
        "delivery_id": delivery_id,
        "account_id": account.id,
        "platform": "outbox",
        "person_id": bystander,
        "token_id": 999_999,
        "pause_id": _production_pause(client, pid),
        "hook_id": 999_999,
        "subscription_id": 999_999,
        "talent_id": 999_999,
        "signoff_id": 999_999,
        "token": _signoff_token(client, session, pid, account),
        "blackout_id": _blackout(client, pid),
        "embargo_id": client.post(
            f"/productions/{pid}/embargoes", json={"tag": "matrix", "milestone_id": milestone}
        ).json()["id"],
        "media_id": upload(client, pid, png()).json()["id"],
    }
    #: Rows a call removes, and whose production decides who may: a fresh one per call, so
    #: the first caller allowed to remove it leaves one for the next.
    fresh = {
        ("DELETE", "/blackouts/{blackout_id}"): ("blackout_id", lambda: _blackout(client, pid)),
        # A sign-in link works once: each caller gets one of the bystander's.
        ("GET", "/app/sign-in/link/{token}"): ("token", lambda: _sign_in_link(session, bystander)),
        ("POST", "/app/sign-in/link/{token}"): ("token", lambda: _sign_in_link(session, bystander)),
        ("DELETE", "/accounts/{account_id}"): (
            "account_id",
            lambda: _account(session, pid, tmp_path),
        ),
    }
    bodies = _bodies(pid, milestone, account.id or 0)
    #: Routes whose production is named in the query string.
    queries = {("GET", route): {"production_id": pid} for route in ("/audit", "/app/audit")}
    wrong = []
    for (method, template), rule in sorted(POLICY.items()):
        for caller in CALLERS:
            named = dict(ids)
            if (method, template) in fresh:
                key, make = fresh[(method, template)]
                named[key] = make()
            path = template.format(**named)
            headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens else {}
            form = None
            if _page(template) and method == "POST":  # as a browser that loaded the page
                form = {"csrf": "walk"}
                headers = {**headers, "Cookie": "callsheet_csrf=walk"}
            answer = httpx.request(
                method,
                f"{client.base_url}{path}",
                headers=headers,
                params=queries.get((method, template)),
                json=bodies.get((method, template)),
                data=form,
                timeout=30,
            )
            if caller == "anonymous" and rule.scope is not Scope.public and _page(template):
                # A page sends whoever is not signed in to the sign-in page.
                expected_ok = answer.status_code == 303 and "/app/sign-in" in answer.headers.get(
                    "location", ""
                )
            elif caller == "anonymous" and rule.scope is not Scope.public:
                expected_ok = answer.status_code == 401
            elif _allowed(rule, caller):
                expected_ok = answer.status_code not in (401, 403)
            else:
                expected_ok = answer.status_code == 403
            if not expected_ok:
                wrong.append(f"{method} {template} as {caller}: {answer.status_code} {answer.text}")
    assert wrong == []


def _sign_in_link(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    assert person is not None
    secret = issue_sign_in_link(session=session, person=person, actor="test", now=datetime.now(UTC))
    session.commit()
    return secret


def _page(template: str) -> bool:
    return template == "/" or template.startswith("/app/")


def _blackout(client: httpx.Client, production_id: int) -> int:
    soon = datetime.now(UTC) + timedelta(days=40)
    body = {
        "production_id": production_id,
        "starts_at": soon.isoformat(),
        "ends_at": (soon + timedelta(hours=2)).isoformat(),
        "reason": "matrix",
    }
    answer = client.post("/blackouts", json=body)
    assert answer.status_code == 201, answer.text
    blackout_id: int = answer.json()["id"]
    return blackout_id


def _account(session: Session, production_id: int, tmp_path: Path) -> int:
    """An account of the production, for a walk's removal to take out of use."""
    handle = f"@removable{len(session.exec(select(Account)).all())}"
    account = factories.outbox_account(
        session, tmp_path / "removed.jsonl", handle, production_ids=[production_id]
    )
    session.commit()
    return account.id or 0


def _production_pause(client: httpx.Client, production_id: int) -> int:
    body = {"scope": "production", "production_id": production_id, "reason": "matrix"}
    answer = client.post("/pauses", json=body)
    assert answer.status_code == 201, answer.text
    pause_id: int = answer.json()["id"]
    return pause_id


def _signoff_token(
    client: httpx.Client, session: Session, production_id: int, account: Account
) -> str:
    """A live talent sign-off link's token, on a post of its own: the walk's post features no
    one, so asking for sign-off there (422) supersedes nothing."""
    talent = client.post(
        f"/productions/{production_id}/talent", json={"name": "Ana Ruiz", "email": "ana@ns.film"}
    )
    assert talent.status_code == 201, talent.text
    post = factories.post(session, production_id, [account])
    post.featured = [talent.json()["id"]]
    session.add(post)
    session.commit()
    requested = client.post(f"/posts/{post.id}/signoffs")
    assert requested.status_code == 201, requested.text
    # No mail server here: the link was made but not sent; it is the talent's to open.
    signoff = session.exec(select(TalentSignoff).where(TalentSignoff.post_id == post.id)).one()
    session.commit()  # end the reading transaction: on SQLite it holds the write lock
    return make_token(signoff.link_id)


def _bodies(pid: int, milestone: int, account: int) -> dict[tuple[str, str], Any]:
    """A plausible body per route, so allowed calls reach the route itself."""
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    return {
        ("POST", "/auth/login"): {"email": "nobody@nightshift.test", "password": "wrong"},
        ("POST", "/tokens"): {"name": "matrix"},
        ("POST", "/people"): {"name": "Lee", "email": "lee@nightshift.studio"},
        ("PUT", "/productions/{production_id}/members/{person_id}"): {"role": "viewer"},
        ("POST", "/productions"): {"title": "Dawn", "kind": "film", "timezone": "UTC"},
        ("POST", "/productions/{production_id}/milestones"): {
            "kind": "wrap",
            "name": "Wrap",
            "at": soon,
        },
        ("PATCH", "/productions/{production_id}/milestones/{milestone_id}"): {"tentative": False},
        # A preview: the walk leaves the production's zone as it is for the next caller.
        ("POST", "/productions/{production_id}/timezone"): {"timezone": "America/New_York"},
        ("POST", "/productions/{production_id}/embargoes"): {
            "tag": "casting",
            "milestone_id": milestone,
        },
        ("POST", "/accounts"): {
            "platform": "outbox",
            "handle": "@x",
            "settings": {"path": "x"},
            "production_ids": [pid],
        },
        ("PUT", "/accounts/{account_id}/credentials"): {"settings": {"path": "y"}},
        ("PATCH", "/accounts/{account_id}"): {"audience_timezone": "Europe/Paris"},
        ("POST", "/posts"): {"production_id": pid},
        ("POST", "/posts/preview"): {"production_id": pid},
        ("PATCH", "/posts/{post_id}"): {"version": 99},
        ("POST", "/posts/{post_id}/submit"): {"version": 99},
        ("POST", "/posts/{post_id}/approve"): {"version": 99},
        ("POST", "/posts/{post_id}/reject"): {"version": 99, "note": "no"},
        ("POST", "/deliveries/{delivery_id}/release"): {},
        ("POST", "/deliveries/{delivery_id}/cancel"): {"reason": "matrix"},
        ("POST", "/deliveries/{delivery_id}/resolve"): {"published": False, "reason": "matrix"},
        ("POST", "/pauses"): {"scope": "production", "production_id": pid, "reason": "matrix"},
        ("POST", "/productions/{production_id}/talent"): {"name": "Cas Lee"},
        # No reason for a decline: a 422 for everyone, so the link outlives the walk.
        ("POST", "/signoff/{token}"): {"decision": "decline"},
        ("POST", "/blackouts"): {
            "production_id": pid,
            "starts_at": soon,
            "ends_at": later,
            "reason": "matrix",
        },
    }


def test_a_marketer_cannot_approve_and_nothing_changes(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    post = factories.post(session, pid, [account])
    session.commit()
    client.post(f"/posts/{post.id}/submit", json={"version": 1})
    marketer = person_with_token(
        session, name="Mo", email="mo@nightshift.test", roles={pid: Role.marketer}
    )

    answer = client.post(
        f"/posts/{post.id}/approve",
        json={"version": 1},
        headers={"Authorization": f"Bearer {marketer}"},
    )

    assert answer.status_code == 403
    assert "producer" in answer.json()["detail"]
    session.expire_all()
    assert session.get_one(Post, post.id).status == "in_review"


def test_tokens_are_shown_once_stored_hashed_and_stop_working_when_revoked(
    client: httpx.Client, engine: Engine
) -> None:
    issued = client.post("/tokens", json={"name": "schedule import"})
    assert issued.status_code == 201, issued.text
    secret = issued.json()["token"]
    mine = {"Authorization": f"Bearer {secret}"}
    assert client.get("/me", headers=mine).status_code == 200
    assert secret not in client.get("/tokens").text
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM accesstoken")).scalars().all()
    assert all(secret not in value for value in stored)

    revoked = client.delete(f"/tokens/{issued.json()['id']}")

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = client.get("/me", headers=mine)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_expired_and_unknown_tokens_are_401(
    client: httpx.Client, session: Session, engine: Engine
) -> None:
    issued = client.post("/tokens", json={"name": "short-lived"}).json()
    with Session(engine) as s:
        token = s.exec(select(AccessToken).where(AccessToken.id == issued["id"])).one()
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        s.add(token)
        s.commit()

    for secret in (issued["token"], "cs_made-up"):
        answer = client.get("/me", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 401
    too_long = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    refused = client.post("/tokens", json={"name": "forever", "expires_at": too_long})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "expires_at"


def test_a_web_session_signs_in_with_a_password_and_ends_at_logout(
    client: httpx.Client, session: Session
) -> None:
    created = client.post(
        "/people",
        json={"name": "Dev", "email": "Dev@NightShift.studio", "password": "correct horse battery"},
    )
    assert created.status_code == 201, created.text
    base = str(client.base_url)
    with httpx.Client(base_url=base) as browser:
        wrong = browser.post(
            "/auth/login", json={"email": "dev@nightshift.studio", "password": "incorrect horse"}
        )
        assert wrong.status_code == 401
        assert browser.get("/me").status_code == 401

        signed = browser.post(
            "/auth/login",
            json={"email": "dev@nightshift.studio", "password": "correct horse battery"},
        )
        assert signed.status_code == 204
        assert "httponly" in signed.headers["set-cookie"].lower()
        assert browser.get("/me").json()["email"] == "dev@nightshift.studio"
        cookie = dict(browser.cookies)

        assert browser.post("/auth/logout").status_code == 204
    with httpx.Client(base_url=base, cookies=cookie) as replay:
        assert replay.get("/me").status_code == 401  # the old cookie is dead, not just dropped


def test_lists_show_only_the_callers_productions(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    ours = factories.production(session)
    theirs = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    factories.post(session, ours.id or 0, [account])
    factories.post(session, theirs.id or 0, [account])
    session.commit()
    viewer = person_with_token(
        session, name="Vi", email="vi@nightshift.test", roles={ours.id or 0: Role.viewer}
    )
    as_viewer = {"Authorization": f"Bearer {viewer}"}

    assert [p["id"] for p in client.get("/productions", headers=as_viewer).json()] == [ours.id]
    posts = client.get("/posts", headers=as_viewer).json()
    assert {p["production_id"] for p in posts} == {ours.id}
    deliveries = client.get("/deliveries", headers=as_viewer).json()
    assert len(deliveries) == 1
    assert client.get(f"/productions/{theirs.id}", headers=as_viewer).status_code == 403


def test_the_first_site_admin_and_token_come_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "CALLSHEET_DATABASE_URL": url}

    def callsheet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scheduler.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    assert callsheet("db", "upgrade").returncode == 0
    added = callsheet(
        "people", "add", "--name", "Dev", "--email", "Dev@Studio.film", "--site-admin"
    )
    assert added.returncode == 0, added.stdout + added.stderr
    made = callsheet("people", "token", "dev@studio.film", "--name", "ops", "--days", "7")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("cs_")
    assert callsheet("people", "token", "nobody@studio.film").returncode == 1

    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            person, token = signed_in(session, secret, now=datetime.now(UTC))
            assert (person.email, person.site_admin, token.name) == ("dev@studio.film", True, "ops")
            session.commit()
    finally:
        engine.dispose()
