"""What keeps the pages safe in a browser, as the answers say it: the content policy (no
inline script, nothing from elsewhere), the cookies' flags, and escaping."""

from __future__ import annotations

import httpx
from sqlmodel import Session

from scheduler.core.models import Role
from tests import factories
from tests.scheduler.web.pages import browser, member, sign_in


def test_pages_run_only_their_own_scripts(client: httpx.Client) -> None:
    page = httpx.get(f"{client.base_url}/app/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # only <script src=…>
    script = httpx.get(f"{client.base_url}/app/static/htmx.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_the_cookies_cannot_be_read_by_script_nor_sent_by_other_sites(
    client: httpx.Client, session: Session
) -> None:
    member(session, "dev@nightshift.test", name="Dev", roles={})
    with browser(client.base_url) as web:
        first = web.get("/app/sign-in")
        token_cookie = first.headers["set-cookie"].lower()
        assert "httponly" in token_cookie
        assert "samesite=strict" in token_cookie
        signed = sign_in(web, "dev@nightshift.test")
        session_cookie = signed.headers["set-cookie"].lower()
        assert "callsheet_session=" in session_cookie
        assert "httponly" in session_cookie
        assert "samesite=lax" in session_cookie


def test_what_people_typed_is_escaped_on_every_page(client: httpx.Client, session: Session) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(3)">'
    production = factories.production(session, title=hostile)
    member(session, "dev@nightshift.test", name=hostile, roles={production.id or 0: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        for path in ("/app/", f"/app/productions/{production.id}/calendar", "/app/password"):
            page = web.get(path)
            assert page.status_code == 200, path
            assert "<script>alert(1)" not in page.text, path
            assert "<img src=x" not in page.text, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path
