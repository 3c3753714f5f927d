"""People can be disabled (stopped at once) and change their own password, over real HTTP.

Before, neither was possible: ``disabled_at`` was never set by anything, and a password, once
set, stayed (both routes answered 404).
"""

from __future__ import annotations

import os
import subprocess

import httpx
from sqlmodel import Session, select

from scheduler.core.models import AuditEvent
from tests.conftest import CALLSHEET, person_with_token

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a longer passphrase for the premiere"


def _as(client: httpx.Client, secret: str) -> httpx.Client:
    return httpx.Client(base_url=client.base_url, headers={"Authorization": f"Bearer {secret}"})


def test_a_disabled_person_is_stopped_at_once_and_enabling_brings_no_old_token_back(
    client: httpx.Client, session: Session
) -> None:
    secret = person_with_token(session, name="Lee", email="lee@nightshift.studio")
    with _as(client, secret) as lee:
        assert lee.get("/me").status_code == 200
        person_id = lee.get("/me").json()["id"]

        disabled = client.post(f"/people/{person_id}/disable")
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["disabled_at"] is not None
        assert lee.get("/me").status_code == 401

        assert client.post(f"/people/{person_id}/enable").json()["disabled_at"] is None
        assert lee.get("/me").status_code == 401  # its token was revoked with the disabling

    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "person")).all()
    assert {"person.disabled", "person.enabled"} <= set(actions)


def test_nobody_disables_themselves_and_only_a_site_admin_disables_anyone(
    client: httpx.Client, session: Session
) -> None:
    me = client.get("/me").json()["id"]
    assert client.post(f"/people/{me}/disable").status_code == 409
    secret = person_with_token(session, name="Lee", email="lee@nightshift.studio")
    with _as(client, secret) as lee:
        assert lee.post(f"/people/{me}/disable").status_code == 403
    assert client.get("/me").status_code == 200


def test_changing_ones_password_needs_the_current_one_and_ends_web_sessions(
    client: httpx.Client, session: Session
) -> None:
    client.post(
        "/people", json={"name": "Ana", "email": "ana@nightshift.studio", "password": PASSWORD}
    )
    with httpx.Client(base_url=client.base_url) as browser:
        signed_in = browser.post(
            "/auth/login", json={"email": "ana@nightshift.studio", "password": PASSWORD}
        )
        assert signed_in.status_code == 204
        assert browser.get("/me").status_code == 200

        wrong = browser.put(
            "/me/password", json={"current_password": "guess", "new_password": NEW_PASSWORD}
        )
        assert wrong.status_code == 422
        assert "current_password" in wrong.text
        short = browser.put(
            "/me/password", json={"current_password": PASSWORD, "new_password": "short"}
        )
        assert short.status_code == 422
        assert "new_password" in short.text

        changed = browser.put(
            "/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert changed.status_code == 204, changed.text
        assert browser.get("/me").status_code == 401  # this session ended too

    with httpx.Client(base_url=client.base_url) as browser:
        old = {"email": "ana@nightshift.studio", "password": PASSWORD}
        assert browser.post("/auth/login", json=old).status_code == 401
        new = {**old, "password": NEW_PASSWORD}
        assert browser.post("/auth/login", json=new).status_code == 204


def test_the_operator_disables_and_enables_a_person_from_the_command_line(
    client: httpx.Client, session: Session, database_url: str
) -> None:
    """Before, there was no such command (the CLI's usage error, exit 2)."""
    secret = person_with_token(session, name="Lee", email="lee@nightshift.studio")
    env = {**os.environ, "CALLSHEET_DATABASE_URL": database_url}
    done = subprocess.run(
        [*CALLSHEET, "people", "disable", "lee@nightshift.studio"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "disabled Lee" in done.stdout
    with _as(client, secret) as lee:
        assert lee.get("/me").status_code == 401
    session.expire_all()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "person.disabled")).all()
    assert [event.actor for event in events] == ["callsheet people (operator)"]
