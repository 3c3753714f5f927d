"""Signing in and out on the pages, the form token, and refusals shown as pages."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlmodel import Session, select

from scheduler.core.models import Person, Role
from scheduler.people.members import issue_sign_in_link
from tests import factories
from tests.scheduler.web.pages import PASSWORD, browser, form_token, member, sign_in


def test_a_person_signs_in_and_lands_on_their_home_page(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    member(session, "dev@nightshift.test", name="Dev", roles={production.id or 0: Role.producer})
    with browser(client.base_url) as web:
        first = web.get("/app/", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/app/sign-in?next=/app/"
        signed = sign_in(web, "dev@nightshift.test")
        assert signed.status_code == 303, signed.text
        home = web.get(signed.headers["location"])
        assert home.status_code == 200
        assert "Hello, Dev" in home.text
        assert production.title in home.text
        assert "text/html" in home.headers["content-type"]


def test_a_wrong_password_says_so_and_signs_no_one_in(
    client: httpx.Client, session: Session
) -> None:
    member(session, "dev@nightshift.test", name="Dev", roles={})
    with browser(client.base_url) as web:
        refused = sign_in(web, "dev@nightshift.test", "not the password")
        assert refused.status_code == 401
        assert "do not match" in refused.text
        assert web.get("/app/", follow_redirects=False).status_code == 303


def test_a_form_without_the_browsers_token_is_refused(
    client: httpx.Client, session: Session
) -> None:
    """Another site can make a browser post a form, but cannot read the token to put in it."""
    member(session, "dev@nightshift.test", name="Dev", roles={})
    with browser(client.base_url) as web:
        web.get("/app/sign-in")  # the browser holds a token cookie
        forged = web.post(
            "/app/sign-in",
            data={"csrf": "guessed", "email": "dev@nightshift.test", "password": PASSWORD},
        )
        assert forged.status_code == 403
        assert "reload the page" in forged.text
        assert "text/html" in forged.headers["content-type"]
        none_at_all = web.post(
            "/app/sign-in", data={"email": "dev@nightshift.test", "password": PASSWORD}
        )
        assert none_at_all.status_code == 403
        assert web.get("/app/", follow_redirects=False).status_code == 303


def test_signing_in_never_leads_to_another_site(client: httpx.Client, session: Session) -> None:
    member(session, "dev@nightshift.test", name="Dev", roles={})
    with browser(client.base_url) as web:
        page = web.get("/app/sign-in", params={"next": "//evil.test/app/"})
        assert "evil.test" not in page.text
        signed = web.post(
            "/app/sign-in",
            data={
                "csrf": form_token(page),
                "email": "dev@nightshift.test",
                "password": PASSWORD,
                "next": "https://evil.test/",
            },
        )
        assert signed.headers["location"] == "/app/"


def test_signing_out_ends_the_session(client: httpx.Client, session: Session) -> None:
    member(session, "dev@nightshift.test", name="Dev", roles={})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        home = web.get("/app/")
        out = web.post("/app/sign-out", data={"csrf": form_token(home)})
        assert out.status_code == 303
        assert web.get("/app/", follow_redirects=False).status_code == 303


def test_a_page_of_another_production_is_a_403_page(client: httpx.Client, session: Session) -> None:
    mine = factories.production(session)
    theirs = factories.production(session, title="Someone Else's Film")
    member(session, "mo@nightshift.test", name="Mo", roles={mine.id or 0: Role.marketer})
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        assert web.get(f"/app/productions/{mine.id}/calendar").status_code == 200
        refused = web.get(f"/app/productions/{theirs.id}/calendar")
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
        assert "not a member" in refused.text
        assert "Someone Else" not in refused.text
        missing = web.get("/app/no-such-page")
        assert missing.status_code == 404
        assert "text/html" in missing.headers["content-type"]


def test_the_api_still_answers_problem_documents(client: httpx.Client) -> None:
    """The pages' refusals are pages; the API's stay JSON."""
    answer = httpx.get(f"{client.base_url}/productions")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_changing_the_password_needs_the_current_one_and_ends_the_session(
    client: httpx.Client, session: Session
) -> None:
    member(session, "dev@nightshift.test", name="Dev", roles={})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        page = web.get("/app/password")
        token = form_token(page)
        short = web.post(
            "/app/password",
            data={
                "csrf": token,
                "current_password": PASSWORD,
                "new_password": "short",
                "repeat_password": "short",
            },
        )
        assert short.status_code == 422
        assert 'id="new_password-error"' in short.text
        wrong = web.post(
            "/app/password",
            data={
                "csrf": token,
                "current_password": "not it at all",
                "new_password": "a brand new passphrase",
                "repeat_password": "a brand new passphrase",
            },
        )
        assert wrong.status_code == 422
        assert "not your current password" in wrong.text
        changed = web.post(
            "/app/password",
            data={
                "csrf": token,
                "current_password": PASSWORD,
                "new_password": "a brand new passphrase",
                "repeat_password": "a brand new passphrase",
            },
        )
        assert changed.status_code == 303
        assert web.get("/app/", follow_redirects=False).status_code == 303
        assert sign_in(web, "dev@nightshift.test", "a brand new passphrase").status_code == 303


def test_a_sign_in_link_asks_first_works_once_and_is_no_api_token(
    client: httpx.Client, session: Session
) -> None:
    member(session, "dev@nightshift.test", name="Dev", roles={})
    person = session.exec(select(Person).where(Person.email == "dev@nightshift.test")).one()
    secret = issue_sign_in_link(session=session, person=person, actor="test", now=datetime.now(UTC))
    session.commit()
    as_token = httpx.get(f"{client.base_url}/me", headers={"Authorization": f"Bearer {secret}"})
    assert as_token.status_code == 401
    with browser(client.base_url) as web:
        asked = web.get(f"/app/sign-in/link/{secret}")
        again = web.get(f"/app/sign-in/link/{secret}")  # a link preview uses nothing up
        assert again.status_code == 200
        assert "Sign in as Dev" in again.text
        used = web.post(f"/app/sign-in/link/{secret}", data={"csrf": form_token(asked)})
        assert used.status_code == 303
        assert web.get("/app/").status_code == 200
    with browser(client.base_url) as other:
        page = other.get(f"/app/sign-in/link/{secret}")
        assert page.status_code == 401
        assert "does not work" in page.text
