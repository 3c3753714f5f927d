"""The accounts page: health, and connect and reconnect forms generated from each platform's
settings, under the rules of ``POST /accounts`` and ``PUT /accounts/{id}/credentials``, audited,
with secrets never sent back to the browser."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from sqlmodel import Session, select

from scheduler.accounts.connections import adapter_settings
from scheduler.core.models import Account, AuditEvent, Role
from tests import factories
from tests.scheduler.web.pages import browser, form_token, member, sign_in

SECRET = "a-very-secret-signing-key"
HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'


def _accounts(session: Session) -> list[Account]:
    session.expire_all()
    found = list(session.exec(select(Account)))
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    return found


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    found = list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))
    session.commit()
    return found


def test_an_admin_connects_an_account_from_the_platforms_own_settings(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    member(session, "ada@nightshift.test", name="Ada", roles={pid: Role.admin})
    with browser(client.base_url) as web:
        sign_in(web, "ada@nightshift.test")
        form = web.get("/app/accounts", params={"production_id": pid, "platform": "webhook"})
        assert form.status_code == 200
        assert 'name="settings.url" type="password"' in form.text  # a secret: write-only
        assert 'name="settings.secret" type="password"' in form.text
        assert 'name="settings.timeout_seconds" type="text"' in form.text
        sent = {
            "csrf": form_token(form),
            "platform": "webhook",
            "handle": "#marketing",
            "settings.url": "https://93.184.215.14/in",
            "settings.secret": SECRET,
            "settings.timeout_seconds": "not a number",
        }
        refused = web.post(f"/app/productions/{pid}/accounts", data=sent)
        assert refused.status_code == 422
        assert 'aria-describedby="connect-timeout_seconds-error"' in refused.text
        assert SECRET not in refused.text  # never echoed, not even to put it back
        assert "93.184.215.14" not in refused.text
        assert 'value="#marketing"' in refused.text
        assert _accounts(session) == []
        connected = web.post(
            f"/app/productions/{pid}/accounts", data={**sent, "settings.timeout_seconds": "5"}
        )
        assert connected.status_code == 303
        listed = web.get("/app/accounts")
        assert "#marketing" in listed.text
        assert "connected" in listed.text
        assert SECRET not in listed.text
    (account,) = _accounts(session)
    assert adapter_settings(account)["secret"] == SECRET
    (event,) = _events(session, "account.created")
    assert event.actor == "Ada <ada@nightshift.test>"
    assert event.after is not None
    assert event.after["production_ids"] == [pid]


def test_an_account_that_needs_reconnecting_says_why_and_is_reconnected(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.webhook_account(
        session, "https://93.184.215.14/in", SECRET, production_ids=[pid]
    )
    session.commit()
    session.connection().execute(
        text("UPDATE account SET needs_reconnect = :why WHERE id = :id"),
        {"why": HOSTILE, "id": account.id},
    )
    session.commit()
    member(session, "ada@nightshift.test", name="Ada", roles={pid: Role.admin})
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        page = web.get("/app/accounts")
        assert "needs reconnect" in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<script>alert(1)" not in page.text
        assert f"/app/accounts/{account.id}/credentials" not in page.text  # an admin's form
        refused = web.post(
            f"/app/accounts/{account.id}/credentials",
            data={"csrf": form_token(page), "settings.secret": "x" * 20},
        )
        assert refused.status_code == 403
        assert "Connect an account" not in page.text
    with browser(client.base_url) as web:
        sign_in(web, "ada@nightshift.test")
        page = web.get("/app/accounts")
        assert 'name="settings.secret" type="password" autocomplete="new-password" value=""' in (
            page.text
        )
        token = form_token(page)
        empty = web.post(f"/app/accounts/{account.id}/credentials", data={"csrf": token})
        assert empty.status_code == 422
        assert "fill in at least one setting" in empty.text
        renewed = web.post(
            f"/app/accounts/{account.id}/credentials",
            data={"csrf": token, "settings.secret": "a-brand-new-signing-key", "settings.url": ""},
        )
        assert renewed.status_code == 303
        assert "needs reconnect" not in web.get("/app/accounts").text
    (after,) = _accounts(session)
    assert after.needs_reconnect is None
    kept = adapter_settings(after)
    assert (kept["secret"], kept["url"]) == ("a-brand-new-signing-key", "https://93.184.215.14/in")
    assert [e.actor for e in _events(session, "account.reconnected")] == [
        "Ada <ada@nightshift.test>"
    ]


def test_the_list_shows_when_each_account_last_published(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.webhook_account(
        session, "https://93.184.215.14/in", SECRET, production_ids=[pid]
    )
    post = factories.approved_post(session, pid, [account])
    session.commit()
    session.connection().execute(
        text("UPDATE delivery SET status = 'published', published_at = :at WHERE post_id = :p"),
        {"at": datetime(2026, 3, 14, 18, 0, tzinfo=UTC), "p": post.id},
    )
    session.commit()
    member(session, "vi@nightshift.test", name="Vi", roles={pid: Role.viewer})
    other = factories.production(session, title="Another Film")
    member(session, "ana@nightshift.test", name="Ana", roles={other.id or 0: Role.admin})
    with browser(client.base_url) as web:
        sign_in(web, "vi@nightshift.test")
        page = web.get("/app/accounts")
        assert "Last published Sat 14 Mar 2026, 18:00 UTC" in page.text
    with browser(client.base_url) as web:
        sign_in(web, "ana@nightshift.test")
        page = web.get("/app/accounts")
        assert "#marketing" not in page.text  # not an account of her productions
        refused = web.post(
            f"/app/productions/{pid}/accounts",
            data={"csrf": form_token(page), "platform": "outbox", "handle": "@x"},
        )
        assert refused.status_code == 403
    assert len(_accounts(session)) == 1


def test_odd_ids_in_the_address_are_no_500(client: httpx.Client, session: Session) -> None:
    """An id no row can have (PostgreSQL's integers end at 2**31 - 1) is no production: the
    page says so instead of failing in the database."""
    production = factories.production(session)
    member(session, "root@callsheet.test", name="Rita", roles={}, site_admin=True)
    huge = "9" * 30
    with browser(client.base_url) as web:
        sign_in(web, "root@callsheet.test")
        accounts = web.get("/app/accounts", params={"production_id": huge, "platform": "webhook"})
        assert accounts.status_code == 200
        assert "/accounts" in accounts.text
        assert f"/app/productions/{production.id}/accounts" not in accounts.text
        audit = web.get("/app/audit", params={"production_id": huge})
        assert audit.status_code == 422
        assert 'id="audit-production_id-error"' in audit.text
        problems = web.get("/app/problems", params={"production_id": huge})
        assert problems.status_code == 422
        missing = web.post(
            "/app/productions/999999/accounts",
            data={"csrf": form_token(accounts), "platform": "outbox", "handle": "@x"},
        )
        assert missing.status_code == 404
