"""A real browser for the pages (the session's ``chromium``, tests/browser.py), one context
per test, signing in through the sign-in page.

``axe(page)`` runs the vendored axe-core on the page as it stands and fails on any serious or
critical violation; ``shoot(page, name)`` keeps a screenshot in docs/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.scheduler.web.pages import PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
#: A phone's viewport (an iPhone 13's CSS pixels).
PHONE = {"width": 390, "height": 844}


def _context(chromium: Browser, base_url: str, **options: Any) -> BrowserContext:
    # bypass_csp: only so axe-core can be put into the page; the pages' own policy is tested
    # over HTTP (tests/scheduler/web/test_pages_security.py), never relaxed for the app.
    context = chromium.new_context(base_url=base_url, bypass_csp=True, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def desktop(chromium: Browser, client: Any) -> Iterator[BrowserContext]:
    """A desktop browser on the test's API server (the ``client`` fixture's)."""
    context = _context(chromium, str(client.base_url), viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def phone(chromium: Browser, client: Any) -> Iterator[BrowserContext]:
    """A phone-sized browser, touch and all, on the test's API server."""
    context = _context(chromium, str(client.base_url), viewport=PHONE, has_touch=True)
    yield context
    context.close()


def signed_in(context: BrowserContext, email: str, password: str = PASSWORD) -> Page:
    """A page of ``context`` signed in through the sign-in form, on the home page."""
    page = context.new_page()
    page.goto("/app/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/")
    return page


def axe(page: Page) -> None:
    """Fail on serious or critical accessibility violations of the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"


def shoot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for the README (docs/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
