"""The pages in a real browser: signing in, the home page, a production's agenda — each page
checked by axe-core."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Browser, BrowserContext, expect
from sqlmodel import Session

from scheduler.core.models import MilestoneKind, Role
from scheduler.planning.embargoes import add_rule
from scheduler.planning.productions import add_milestone
from scheduler.planning.schemas import BlackoutCreate, EmbargoCreate, MilestoneCreate
from scheduler.planning.windows import add_blackout
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate
from tests import factories
from tests.scheduler.web.conftest import _context, axe, shoot, signed_in
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


def _march(session: Session, tmp_path: Path) -> tuple[int, int]:
    """A production with a premiere on 20 March 2027, posts around it, a tentative trailer
    date, a blackout and an embargo: a month worth a screenshot."""
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, datetime(2027, 3, 20, 19, 0, tzinfo=UTC))
    trailer = add_milestone(
        session=session,
        production_id=pid,
        actor="test",
        data=MilestoneCreate(
            kind=MilestoneKind.trailer,
            name="Trailer drop",
            at=datetime(2027, 3, 10, 17, 0, tzinfo=UTC),
            tentative=True,
        ),
    )
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    sky = factories.outbox_account(session, tmp_path / "bts.jsonl", handle="@nightshift_bts")
    factories.serve(session, pid, [account, sky])
    for offset, body, tags in (
        ("-P14D", "Two weeks to the premiere.", ["trailer"]),
        ("-P7D", "One week to go.", []),
        ("-P1D", "Tomorrow night.", []),
    ):
        create_post(
            session=session,
            actor="test",
            data=PostCreate(
                production_id=pid,
                pillar="countdown",
                body=body,
                tags=tags,
                anchor=AnchorIn(milestone_id=premiere, offset=offset, local_time=time(18, 0)),
                account_ids=[account.id or 0, sky.id or 0],
            ),
        )
    factories.approved_post(
        session, pid, [account], body="Wrap party!", at=datetime(2027, 3, 24, 9, 30, tzinfo=UTC)
    )
    add_blackout(
        session=session,
        data=BlackoutCreate(
            production_id=pid,
            starts_at=datetime(2027, 3, 15, tzinfo=UTC),
            ends_at=datetime(2027, 3, 16, tzinfo=UTC),
            reason="Festival press day",
        ),
        actor="test",
    )
    add_rule(
        session=session,
        production_id=pid,
        data=EmbargoCreate(tag="trailer", milestone_id=trailer.id or 0, offset="PT0S"),
        actor="test",
    )
    session.commit()
    return pid, premiere


def test_a_producer_moves_the_premiere_after_seeing_what_moves(
    desktop: BrowserContext, session: Session, tmp_path: Path
) -> None:
    pid, _ = _march(session, tmp_path)
    member(session, "dev@nightshift.test", name="Dev Raman", roles={pid: Role.producer})
    page = signed_in(desktop, "dev@nightshift.test")
    page.get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", name="All productions")).to_be_visible()
    axe(page)
    page.goto(f"/app/productions/{pid}/calendar?view=month&month=2027-03")
    expect(page.get_by_role("table")).to_contain_text("Premiere")
    expect(page.get_by_role("table")).to_contain_text("Blackout: Festival press day")
    expect(page.locator(".milestone-band.tentative")).to_contain_text("tentative")
    axe(page)
    shoot(page, "calendar-month")

    page.get_by_role("link", name="Agenda").click()
    page.get_by_label("From").fill("2027-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".agenda").get_by_text("Festival press day")).to_be_visible()
    page.get_by_role("link", name="Move Premiere…").click()
    expect(page.get_by_role("heading", name="Move Premiere")).to_be_visible()
    axe(page)
    page.get_by_label("New date").fill("2027-03-27")
    page.get_by_role("button", name="Show what moves").click()
    preview = page.get_by_role("table")
    expect(page.get_by_text("Nothing has changed yet")).to_be_visible()
    expect(preview).to_contain_text("Sat 13 Mar 2027, 18:00")  # 14 days before the 27th
    expect(preview).to_contain_text("embargoed")
    axe(page)
    page.get_by_role("button", name="Move Premiere and its posts").click()
    expect(page.get_by_text("Premiere moved")).to_be_visible()
    page.goto(f"/app/productions/{pid}/calendar?from=2027-03-01")
    agenda = page.locator(".agenda")
    expect(agenda).to_contain_text("Sat 13 Mar 2027, 18:00")
    expect(agenda).to_contain_text("Sat 27 Mar 2027, 19:00")
    expect(agenda).not_to_contain_text("Sat 06 Mar 2027")
    axe(page)


def test_a_marketer_moves_a_post_with_the_keyboard_alone(
    phone: BrowserContext, session: Session, tmp_path: Path
) -> None:
    pid, _ = _march(session, tmp_path)
    member(session, "mo@nightshift.test", name="Mo", roles={pid: Role.marketer})
    page = signed_in(phone, "mo@nightshift.test")
    page.goto(f"/app/productions/{pid}/calendar?from=2027-03-20")
    axe(page)
    wrap = page.locator(".agenda .delivery", has_text="Wrap party!")
    expect(wrap).to_contain_text("Wed 24 Mar 2027, 09:30")
    summary = wrap.locator("summary")
    for _ in range(80):  # Tab until the wrap party's "Move post…" has the focus
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(wrap.get_by_text("an approved post goes back to review")).to_be_visible()
    page.keyboard.press("Tab")
    expect(wrap.get_by_label("New date")).to_be_focused()
    page.keyboard.type("03262027")  # month, day, year: the date field's own segments
    expect(wrap.get_by_label("New date")).to_have_value("2027-03-26")
    button = wrap.get_by_role("button", name="Move")
    for _ in range(4):  # Tab steps through the field's segments, then to the button
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("moved")
    moved = page.locator(".agenda .delivery", has_text="Wrap party!")
    expect(moved).to_contain_text("Fri 26 Mar 2027, 09:30")
    expect(moved.locator(".chip")).to_have_text("in review")
    axe(page)


def test_a_viewer_in_another_zone_sees_their_own_time_beside_the_production_s(
    chromium: Browser, client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    pid, _ = _march(session, tmp_path)
    member(session, "vi@nightshift.test", name="Vi", roles={pid: Role.viewer})
    context = _context(chromium, str(client.base_url), timezone_id="America/New_York")
    try:
        page = signed_in(context, "vi@nightshift.test")
        page.goto(f"/app/productions/{pid}/calendar?from=2027-03-20")
        premiere = page.locator(".agenda .milestone", has_text="Premiere")
        expect(premiere).to_contain_text("Sat 20 Mar 2027, 19:00")
        expect(premiere).to_contain_text("(your time: Mar 20, 2027, 3:00 PM, America/New_York)")
        axe(page)
    finally:
        context.close()
