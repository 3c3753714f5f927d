"""The pages in a real browser: signing in, the home page, a production's agenda — each page
checked by axe-core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, expect
from sqlmodel import Session

from scheduler.core.models import Role
from tests import factories
from tests.scheduler.web.conftest import axe, shoot, signed_in
from tests.scheduler.web.pages import member

HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'


def test_a_producer_signs_in_and_reads_the_agenda(
    desktop: BrowserContext, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=30))
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    factories.post(session, pid, [account], body=HOSTILE, at=datetime.now(UTC) + timedelta(days=16))
    member(session, "dev@nightshift.test", name="Dev Raman", roles={pid: Role.producer})

    alerts: list[str] = []
    page = signed_in(desktop, "dev@nightshift.test")
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    expect(page.get_by_role("heading", name="Hello, Dev Raman")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Night Shift").click()
    expect(page.get_by_role("heading", name="Night Shift")).to_be_visible()
    expect(page.get_by_text("Europe/London")).to_be_visible()
    expect(page.get_by_text("Premiere")).to_be_visible()
    draft = page.locator(".agenda .delivery").first
    expect(draft.locator(".chip")).to_have_text("draft")
    # The hostile body is shown as the text it is: no script ran, nothing was evaluated.
    expect(draft).to_contain_text("<script>alert(1)</script>")
    assert page.locator("a[href^='javascript:']").count() == 0
    assert alerts == []
    axe(page)
    shoot(page, "calendar-agenda")


def test_a_marketer_is_shown_a_403_page_for_another_production(
    desktop: BrowserContext, session: Session
) -> None:
    mine = factories.production(session)
    theirs = factories.production(session, title="Another Film")
    member(session, "mo@nightshift.test", name="Mo", roles={mine.id or 0: Role.marketer})
    page = signed_in(desktop, "mo@nightshift.test")
    answer = page.goto(f"/app/productions/{theirs.id}/calendar")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    axe(page)
