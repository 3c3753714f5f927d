"""Account secrets at rest, reconnecting, and refusing unsafe keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from scheduler.accounts.connections import adapter_settings
from scheduler.api import create_app
from scheduler.core.config import Settings
from scheduler.core.models import Account, AuditEvent, Delivery
from scheduler.core.vault import DEVELOPMENT_KEY, Vault, VaultError
from tests import factories

SECRET = "hook-secret-0123456789abcdef"


def test_secrets_are_sealed_in_the_database_and_masked_in_answers(
    client: httpx.Client, engine: Engine
) -> None:
    """A webhook's URL carries a token as often as not: it is sealed like the signing secret
    and shown by host only."""
    url = "https://hooks.test/catch/T0KEN-in-path?key=token-in-query"
    answer = client.post(
        "/accounts",
        json={
            "platform": "webhook",
            "handle": "#crew",
            "settings": {"url": url, "secret": SECRET},
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["settings"] == {"url": "https://hooks.test/…", "secret": "********"}
    with engine.connect() as conn:
        row = conn.execute(text("SELECT settings, secrets FROM account")).one()
    for secret in (SECRET, "T0KEN-in-path", "token-in-query"):
        assert secret not in str(row.settings)
        assert secret not in row.secrets
        assert secret not in client.get("/accounts").text
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert adapter_settings(account) == {"url": url, "secret": SECRET}


def test_keys_rotate_new_first_and_old_still_opens() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = Vault(old).seal({"access_token": "tok"})

    assert Vault(f"{new},{old}").open(sealed) == {"access_token": "tok"}
    with pytest.raises(VaultError, match="cannot be decrypted"):
        Vault(new).open(sealed)
    with pytest.raises(VaultError, match="Fernet keys"):
        Vault("not-a-key")


def test_production_refuses_the_development_key() -> None:
    unsafe = Settings(environment="production")
    with pytest.raises(ValueError, match="development key"):
        unsafe.refuse_unsafe()
    Settings(environment="production", secret_keys=Fernet.generate_key().decode()).refuse_unsafe()
    Settings(environment="development", secret_keys=DEVELOPMENT_KEY).refuse_unsafe()


def test_every_command_refuses_to_start_in_production_with_the_development_key(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "platforms"],
        capture_output=True,
        text=True,
        env={"CALLSHEET_ENVIRONMENT": "production", "PATH": str(Path(sys.executable).parent)},
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "development key" in done.stdout


def test_the_api_refuses_to_start_in_production_with_the_development_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scheduler.core import config

    monkeypatch.setenv("CALLSHEET_ENVIRONMENT", "production")
    config.get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="development key"):
            create_app()
    finally:
        monkeypatch.delenv("CALLSHEET_ENVIRONMENT")
        config.get_settings.cache_clear()


def test_reconnecting_keeps_what_it_leaves_out_and_releases_held_posts(
    client: httpx.Client, session: Session, engine: Engine
) -> None:
    """A reconnect sends new credentials only; the settings it leaves out are kept."""
    account = factories.webhook_account(session, "https://hooks.test/in", SECRET)
    production = factories.production(session)
    post = factories.approved_post(session, production.id or 0, [account])
    delivery = session.exec(select(Delivery).where(Delivery.post_id == post.id)).one()
    delivery.status, delivery.held_for = "held", "account"
    account.needs_reconnect = "webhook answered HTTP 401"
    session.add_all([delivery, account])
    session.commit()

    new_secret = "a-brand-new-secret-0123456789"
    answer = client.put(
        f"/accounts/{account.id}/credentials", json={"settings": {"secret": new_secret}}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["needs_reconnect"] is None
    with Session(engine) as fresh:
        stored = fresh.get(Account, account.id)
        assert stored is not None
        assert adapter_settings(stored) == {"url": "https://hooks.test/in", "secret": new_secret}
        released = fresh.get(Delivery, delivery.id)
        assert released is not None
        assert (released.status, released.held_for) == ("scheduled", None)
        events = fresh.exec(
            select(AuditEvent).where(AuditEvent.action == "account.reconnected")
        ).all()
        assert [e.after["released"] for e in events] == [1]  # type: ignore[index]
        assert new_secret not in str([e.after for e in events])


def test_a_reconnect_that_would_break_the_settings_changes_nothing(
    client: httpx.Client, session: Session, engine: Engine
) -> None:
    account = factories.webhook_account(session, "https://hooks.test/in", SECRET)
    session.commit()

    answer = client.put(
        f"/accounts/{account.id}/credentials", json={"settings": {"secret": "short"}}
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "settings", "secret"]
    assert "short" not in answer.text  # a rejected value may still be a real secret
    with Session(engine) as fresh:
        stored = fresh.get(Account, account.id)
        assert stored is not None
        assert adapter_settings(stored)["secret"] == SECRET
    missing = client.put("/accounts/999/credentials", json={"settings": {"secret": SECRET}})
    assert missing.status_code == 404
