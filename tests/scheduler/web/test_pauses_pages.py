"""Pausing and resuming on the pages: the rules of ``/pauses``, each action audited, the banner
on every page for everyone the pause concerns, and a hostile reason shown as text."""

from __future__ import annotations

import httpx
from sqlmodel import Session, select

from scheduler.core.models import AuditEvent, Pause, Role
from tests import factories
from tests.scheduler.web.pages import browser, form_token, member, sign_in

HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'
ESCAPED = (
    "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} "
    "&lt;a href=&#34;javascript:alert(2)&#34;&gt;x&lt;/a&gt;"
)


def _pauses(session: Session) -> list[Pause]:
    session.expire_all()
    found = list(session.exec(select(Pause)))
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    return found


def _actions(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    found = [(e.action, e.actor) for e in session.exec(select(AuditEvent)) if "pause" in e.action]
    session.commit()
    return found


def test_a_producer_pauses_their_production_with_a_reason_and_resumes_it(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    member(session, "dev@nightshift.test", name="Dev Raman", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        page = web.get("/app/pauses")
        assert page.status_code == 200
        assert "Nothing is paused." in page.text
        assert "Pause everything" not in page.text  # a site admin's switch
        paused = web.post(
            f"/app/productions/{pid}/pause", data={"csrf": form_token(page), "reason": HOSTILE}
        )
        assert paused.status_code == 303
        home = web.get("/app/")
        # The banner says what, who and why, the reason as text.
        assert "Paused: “Night Shift”" in home.text
        assert "Dev Raman &lt;dev@nightshift.test&gt;" in home.text
        assert ESCAPED in home.text
        assert "<script>alert(1)" not in home.text
        listed = web.get("/app/pauses")
        assert ESCAPED in listed.text
        assert _actions(session) == [("pause.started", "Dev Raman <dev@nightshift.test>")]

        (pause,) = _pauses(session)
        resumed = web.post(f"/app/pauses/{pause.id}/resume", data={"csrf": form_token(listed)})
        assert resumed.status_code == 303
        assert "Paused:" not in web.get("/app/").text
    assert _actions(session)[-1] == ("pause.ended", "Dev Raman <dev@nightshift.test>")
    (after,) = _pauses(session)
    assert after.resumed_by == "Dev Raman <dev@nightshift.test>"


def test_roles_below_are_refused_and_nothing_is_paused(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    member(session, "mo@nightshift.test", name="Mo", roles={pid: Role.marketer})
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        page = web.get("/app/pauses")
        token = form_token(page)
        assert f"/app/productions/{pid}/pause" not in page.text  # no form to be refused
        refused = web.post(f"/app/productions/{pid}/pause", data={"csrf": token, "reason": "x"})
        assert refused.status_code == 403
        assert "producer role" in refused.text
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        token = form_token(web.get("/app/pauses"))
        everything = web.post("/app/pause-everything", data={"csrf": token, "reason": "x"})
        assert everything.status_code == 403
    assert _pauses(session) == []
    # A pause of everything is resumed by a site admin only, whoever sees its banner.
    client.post("/pauses", json={"scope": "all", "reason": "press embargo"})
    (pause,) = _pauses(session)
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        page = web.get("/app/pauses")
        assert "Resume" not in page.text.split("In force", 1)[1].split("Pause a production")[0]
        refused = web.post(f"/app/pauses/{pause.id}/resume", data={"csrf": form_token(page)})
        assert refused.status_code == 403
    assert _pauses(session)[0].resumed_at is None


def test_pausing_everything_shows_the_banner_to_every_production(
    client: httpx.Client, session: Session
) -> None:
    mine = factories.production(session)
    theirs = factories.production(session, title="Another Film")
    member(session, "root@callsheet.test", name="Rita Root", roles={}, site_admin=True)
    member(session, "mo@nightshift.test", name="Mo", roles={theirs.id or 0: Role.marketer})
    with browser(client.base_url) as web:
        sign_in(web, "root@callsheet.test")
        page = web.get("/app/pauses")
        assert "Pause everything" in page.text
        paused = web.post(
            "/app/pause-everything",
            data={"csrf": form_token(page), "reason": "Lead actor news; hold all"},
        )
        assert paused.status_code == 303
        assert "Everything is paused already." in web.get("/app/pauses").text
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        for address in ("/app/", f"/app/productions/{theirs.id}/calendar", "/app/pauses"):
            shown = web.get(address)
            assert "Paused: everything" in shown.text, address
            assert "Rita Root &lt;root@callsheet.test&gt;" in shown.text
            assert "Lead actor news; hold all" in shown.text
    assert mine.id is not None
    assert [(p.scope, p.paused_by) for p in _pauses(session)] == [
        ("all", "Rita Root <root@callsheet.test>")
    ]


def test_a_missing_reason_is_shown_beside_its_field_and_nothing_is_paused(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        token = form_token(web.get("/app/pauses"))
        empty = web.post(f"/app/productions/{pid}/pause", data={"csrf": token, "reason": "  "})
        assert empty.status_code == 422
        assert f'aria-describedby="production-{pid}-error"' in empty.text
        assert f'id="production-{pid}-error"' in empty.text
        too_long = web.post(
            f"/app/productions/{pid}/pause", data={"csrf": token, "reason": "x" * 501}
        )
        assert too_long.status_code == 422
        assert "at most 500 characters" in too_long.text
        assert _pauses(session) == []
        first = web.post(f"/app/productions/{pid}/pause", data={"csrf": token, "reason": "one"})
        assert first.status_code == 303
        second = web.post(f"/app/productions/{pid}/pause", data={"csrf": token, "reason": "two"})
        assert second.status_code == 409
        assert "already paused by Dev" in second.text
    assert [p.reason for p in _pauses(session)] == ["one"]
