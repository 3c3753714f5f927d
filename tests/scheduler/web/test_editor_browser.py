"""The post editor in a real browser: a marketer writes a post for an X account, watches the
preview count and split it while typing (no page load), saves it and sends it for review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import BrowserContext, expect
from sqlmodel import Session

from scheduler.core.models import Role
from tests import factories
from tests.scheduler.media.test_uploads import png, upload
from tests.scheduler.web.conftest import axe, shoot, signed_in
from tests.scheduler.web.pages import member

ALT = "Three rain machines over a wet street at night, the crew under umbrellas."
HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'
OPENING = "Night 12 on the Night Shift set: rain machines, three cameras and a crew of forty."
REST = (
    " All of them waiting for the one take that makes the trailer. Thank you to everyone who"
    " stayed past 4am for it. Next week: the first look at the score from @composer_ana."
    " https://nightshift.film/diary #NightShift #BehindTheScenes"
)


def test_a_marketer_writes_a_long_post_for_x_and_sends_it_for_review(
    desktop: BrowserContext, client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=30))
    factories.x_account(session, production_ids=[pid])
    member(session, "mo@nightshift.test", name="Mo Adeyemi", roles={pid: Role.marketer})
    assert upload(client, pid, png(), name="rain-machines.png").status_code == 201
    assert client.post(f"/productions/{pid}/talent", json={"name": "Ana Ruiz"}).is_success

    alerts: list[str] = []
    page = signed_in(desktop, "mo@nightshift.test")
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.get_by_role("link", name="Write a post").click()
    expect(page.get_by_role("heading", name="New post")).to_be_visible()
    axe(page)

    page.get_by_label("Content pillar", exact=True).select_option("on_set")
    page.get_by_label("At a date and time").check()
    in_ten_days = datetime.now(UTC) + timedelta(days=10)
    page.get_by_label("Date and time", exact=True).fill(in_ten_days.strftime("%Y-%m-%dT18:00"))
    page.get_by_label("x @nightshiftfilm").check()
    page.get_by_label("Ana Ruiz").check()
    page.get_by_label("rain-machines.png image").check()
    page.get_by_label("Alt text for rain-machines.png").fill(ALT)
    page.evaluate("window.loadedOnce = true")  # gone if the page were loaded again

    preview = page.locator("#preview")
    text = page.get_by_label("Text", exact=True)
    text.fill(HOSTILE)
    expect(preview.locator(".post-text")).to_contain_text("<script>alert(1)</script> 49")
    assert preview.locator("a[href^='javascript:']").count() == 0

    text.fill(OPENING)
    counter = preview.locator(".counter")
    expect(counter).to_contain_text(f"{len(OPENING)} of 280 weighted characters")
    expect(counter).not_to_contain_text("over the limit")
    text.press("End")
    text.press_sequentially(REST)
    expect(counter).to_contain_text("over the limit by")
    expect(preview.locator(".thread-note")).to_have_text("Posted as a thread of 2:")
    expect(preview.locator(".part")).to_have_count(2)
    expect(preview.locator(".entity-mention")).to_have_text("@composer_ana")
    expect(preview.locator(".warnings")).to_contain_text("posted as a thread of 2")
    media = preview.locator(".media-shown")
    expect(media).to_contain_text(f"rain-machines.png — alt text: “{ALT}”")
    assert page.evaluate("window.loadedOnce") is True
    assert alerts == []
    axe(page)
    shoot(page, "editor-preview")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.locator(".chip").first).to_have_text("draft")
    expect(page.get_by_label("Text", exact=True)).to_have_value(OPENING + REST)
    axe(page)

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Sent for review.")).to_be_visible()
    expect(page.locator(".chip").first).to_have_text("in review")
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    axe(page)


def test_on_a_phone_a_template_asks_for_its_values_and_the_preview_fills_them_in(
    phone: BrowserContext, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    premiere = datetime.now(UTC) + timedelta(days=30)
    milestone = factories.premiere(session, pid, premiere)
    factories.x_account(session, production_ids=[pid])
    member(session, "mo@nightshift.test", name="Mo Adeyemi", roles={pid: Role.marketer})
    fortnight_before = premiere.astimezone(ZoneInfo("Europe/London")) - timedelta(days=14)

    page = signed_in(phone, "mo@nightshift.test")
    page.goto(f"/app/productions/{pid}/posts/new")
    page.get_by_label("Content pillar", exact=True).select_option("casting")
    page.get_by_label("Milestone", exact=True).select_option(str(milestone))
    page.get_by_label("Offset", exact=True).fill("-P14D")
    page.get_by_label("At local time", exact=True).fill("18:00")
    page.get_by_label("x @nightshiftfilm").check()
    page.get_by_label("Template", exact=True).select_option("casting_reveal")
    page.get_by_label("actor name", exact=True).fill("Ana Ruiz")
    page.get_by_label("role", exact=True).fill("the night nurse")
    page.get_by_label("quote", exact=True).fill("I have wanted this part for years.")
    preview = page.locator("#preview")
    expect(preview.locator(".post-text")).to_contain_text(
        "Casting news: Ana Ruiz joins Night Shift as the night nurse."
    )
    expect(preview.locator(".entity-hashtag").first).to_have_text("#NightShift")
    expect(preview).to_contain_text(f"goes out {fortnight_before:%a %d %b %Y}, 18:00")
    axe(page)
