"""Keeping things safe, in a real browser: the kill switch and its banner, a failed delivery
retried from the problems page, the audit trail — each page checked by axe-core."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, expect
from sqlalchemy import text
from sqlmodel import Session, select

from scheduler.core.models import Delivery, Role
from tests import factories
from tests.scheduler.web.conftest import axe, shoot, signed_in
from tests.scheduler.web.pages import member


def test_a_site_admin_pauses_everything_and_a_marketer_elsewhere_sees_who_and_why(
    desktop: BrowserContext, phone: BrowserContext, session: Session
) -> None:
    factories.production(session)
    theirs = factories.production(session, title="Another Film")
    member(session, "root@callsheet.test", name="Rita Root", roles={}, site_admin=True)
    member(session, "mo@nightshift.test", name="Mo Chen", roles={theirs.id or 0: Role.marketer})

    admin = signed_in(desktop, "root@callsheet.test")
    admin.get_by_role("link", name="Pause…").click()
    expect(admin.get_by_role("heading", name="Pauses", exact=True)).to_be_visible()
    axe(admin)
    admin.get_by_label("Why everything stops").fill("Lead actor news; hold everything")
    admin.get_by_role("button", name="Pause everything").click()
    expect(admin.get_by_text("Everything is paused already.")).to_be_visible()
    axe(admin)  # the pause in force, its banner, and its Resume button

    marketer = signed_in(phone, "mo@nightshift.test")
    banner = marketer.locator(".banner")
    expect(banner).to_contain_text("Paused: everything")
    expect(banner).to_contain_text("Rita Root <root@callsheet.test>")
    expect(banner).to_contain_text("Lead actor news; hold everything")
    axe(marketer)
    shoot(marketer, "pause-banner")
    marketer.get_by_role("link", name="Pause…").click()
    # Mo may read the pause, not end it: only a site admin resumes everything.
    expect(marketer.get_by_role("button", name="Resume everything")).to_have_count(0)
    axe(marketer)

    admin.get_by_role("button", name="Resume everything").click()
    expect(admin.get_by_text("Nothing is paused.")).to_be_visible()
    marketer.goto("/app/")
    expect(marketer.locator(".banner")).to_have_count(0)


def test_a_producer_retries_a_failed_delivery_from_the_problems_page(
    desktop: BrowserContext, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    post = factories.approved_post(session, pid, [account])
    session.commit()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post.id)).all()
    session.connection().execute(
        text(
            "UPDATE delivery SET status = 'failed', attempt = 5, "
            "last_error = 'account: page id is wrong' WHERE id = :id"
        ),
        {"id": delivery.id},
    )
    session.commit()
    member(session, "dev@nightshift.test", name="Dev Raman", roles={pid: Role.producer})

    page = signed_in(desktop, "dev@nightshift.test")
    page.get_by_role("link", name="Problems").click()
    row = page.locator(f"#delivery-{delivery.id}")
    expect(row.locator(".chip")).to_have_text("failed")
    expect(row).to_contain_text("account: page id is wrong")
    axe(page)
    shoot(page, "problems")
    row.get_by_label("What was fixed").fill("page id fixed on the account")
    row.get_by_role("button", name=f"Retry delivery {delivery.id}").click()
    expect(page.get_by_text("Nothing failed, held or unknown.")).to_be_visible()

    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.get_by_text("page id fixed on the account")).to_be_visible()
    axe(page)


def test_an_admin_connects_an_account_from_the_generated_form(
    desktop: BrowserContext, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    member(session, "ada@nightshift.test", name="Ada", roles={production.id or 0: Role.admin})

    page = signed_in(desktop, "ada@nightshift.test")
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_text("No account is connected to your productions yet.")).to_be_visible()
    page.get_by_label("On the platform").select_option("outbox")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Handle").fill("@nightshiftfilm")
    page.get_by_label("path").fill(str(tmp_path / "out.jsonl"))
    axe(page)
    page.get_by_role("button", name="Connect").click()
    account = page.locator(".account")
    expect(account.locator(".chip")).to_have_text("connected")
    expect(account).to_contain_text("@nightshiftfilm")
    axe(page)
