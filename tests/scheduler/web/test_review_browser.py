"""The approval queue and the talent's sign-off page in a real browser, each page checked by
axe-core: a producer approves a milestone's schedule on a phone, a refusal is a message on
the page, a marketer is shown a 403 page, a talent approves through their link once."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core.models import Delivery, Person, Post, TalentSignoff
from tests.scheduler.web import review_setup
from tests.scheduler.web.conftest import axe, shoot, signed_in
from tests.scheduler.web.review_setup import HOSTILE, MARKETER, PRODUCER


def test_a_producer_approves_a_milestones_schedule_on_a_phone(
    phone: BrowserContext, session: Session, engine: Engine, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    posts = [
        review_setup.in_review(session, setup, "Night shift, take 1.", days_before=2),
        review_setup.in_review(session, setup, HOSTILE, days_before=1),
    ]
    alerts: list[str] = []
    page = signed_in(phone, PRODUCER)
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    page.get_by_role("link", name="Review in Night Shift").first.click()  # from home
    expect(page.get_by_role("heading", name="Review: Night Shift")).to_be_visible()
    expect(page.get_by_text("Night shift, take 1.")).to_be_visible()
    expect(page.locator(".rendered").nth(1)).to_contain_text("<script>alert(1)</script>")
    assert page.locator("a[href^='javascript:']").count() == 0
    axe(page)
    shoot(page, "approval-queue-phone")
    schedule = page.locator("form.approve-all")
    schedule.get_by_label("Crew credited").check()
    schedule.get_by_label("Music cleared").check()
    schedule.get_by_role("button", name="Approve all 2 of Premiere").click()

    expect(page.get_by_role("status")).to_contain_text("Your approval of the schedule")
    expect(page.get_by_text("No post waits for review.")).to_be_visible()
    axe(page)
    assert alerts == []
    with Session(engine) as db:
        ids = [p.id for p in posts]
        deliveries = db.exec(select(Delivery).where(col(Delivery.post_id).in_(ids))).all()
        assert [d.status for d in deliveries] == ["scheduled", "scheduled"]


def test_a_refusal_is_a_message_on_the_desktop_queue(
    client: httpx.Client, desktop: BrowserContext, session: Session, engine: Engine, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    media = review_setup.uploaded(client, setup, "Ana at the slate")
    review_setup.talent_link(session, setup, "Ana records the rain at 3am.", media=media)
    own = review_setup.in_review(session, setup, "Dev wrote this one.", milestone=False)
    own.written_by_id = session.exec(select(Person).where(Person.email == PRODUCER)).one().id
    own.review_note = "Back from legal: the credit is fixed"
    session.add(own)
    session.commit()
    page = signed_in(desktop, PRODUCER)
    page.goto(f"/app/productions/{setup.production_id}/review")
    image = page.get_by_role("img", name="Ana at the slate")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 640
    axe(page)
    shoot(page, "approval-queue-desktop")

    mine = page.locator("article", has_text="Dev wrote this one.")
    mine.get_by_label("Crew credited").check()
    mine.get_by_label("Music cleared").check()
    mine.get_by_role("button", name=f"Approve post #{own.id}").click()

    expect(page.get_by_role("alert")).to_contain_text("separation of duties")
    expect(page.get_by_role("heading", name="Not done: nothing was changed")).to_be_visible()
    axe(page)
    with Session(engine) as db:
        assert db.get_one(Post, own.id).status == "in_review"


def test_a_marketer_is_shown_a_403_page_for_the_queue(
    desktop: BrowserContext, session: Session, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    page = signed_in(desktop, MARKETER)
    answer = page.goto(f"/app/productions/{setup.production_id}/review")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    axe(page)


def test_a_talent_approves_through_their_link_once(
    client: httpx.Client, phone: BrowserContext, session: Session, engine: Engine, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    media = review_setup.uploaded(client, setup, "Ana at the slate")
    _, token = review_setup.talent_link(
        session, setup, "Ana Ruiz records the rain at 3am.", media=media
    )
    page = phone.new_page()

    page.goto(f"/app/signoff/{token}")
    expect(
        page.get_by_role("heading", name="Hello Ana Ruiz: please approve this post")
    ).to_be_visible()
    expect(page.get_by_text("Ana Ruiz records the rain at 3am.")).to_be_visible()
    image = page.get_by_role("img", name="Ana at the slate")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 640
    axe(page)
    shoot(page, "signoff")
    page.get_by_role("button", name="Approve this post").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    axe(page)
    with Session(engine) as db:
        assert db.exec(select(TalentSignoff)).one().decision == "approved"
    again = page.goto(f"/app/signoff/{token}")
    assert again is not None
    assert again.status == 403
    expect(page.get_by_text("This link was already used")).to_be_visible()
    axe(page)
