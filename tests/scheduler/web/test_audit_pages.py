"""The audit trail on a page: the rule of ``GET /audit`` (a production's producer; the whole
trail, a site admin), its filters, its pages, and what a person typed shown as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import Session

from scheduler.core.models import Role
from scheduler.events.record import record_event
from tests import factories
from tests.scheduler.web.pages import browser, member, sign_in

HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'


def _event(session: Session, pid: int, action: str, actor: str, reason: str | None = None) -> None:
    record_event(
        session.connection(),
        actor=actor,
        action=action,
        entity="production",
        entity_id=pid,
        reason=reason,
    )


def test_a_producer_reads_their_productions_trail_filtered(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    other = factories.production(session, title="Another Film")
    _event(session, pid, "production.changed", "Maya <maya@nightshift.test>", HOSTILE)
    _event(session, pid, "production.renamed", "Lee <lee@nightshift.test>", "new title")
    _event(session, other.id or 0, "production.changed", "Maya <maya@nightshift.test>", "theirs")
    session.commit()
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        home = web.get("/app/")
        assert f'href="/app/audit?production_id={pid}"' in home.text  # the header's link
        page = web.get("/app/audit", params={"production_id": pid})
        assert page.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<script>alert(1)" not in page.text
        assert "new title" in page.text
        assert "theirs" not in page.text
        by_maya = web.get("/app/audit", params={"production_id": pid, "actor": "MAYA"})
        assert "new title" not in by_maya.text
        assert "production.changed" in by_maya.text
        renamed = web.get(
            "/app/audit", params={"production_id": pid, "action": "production.ren", "entity": ""}
        )
        assert "new title" in renamed.text
        assert "alert(1)" not in renamed.text
        today = datetime.now(UTC).date()
        in_range = web.get(
            "/app/audit",
            params={"production_id": pid, "since": today.isoformat(), "until": today.isoformat()},
        )
        assert "new title" in in_range.text
        yesterday = (today - timedelta(days=1)).isoformat()
        before = web.get("/app/audit", params={"production_id": pid, "until": yesterday})
        assert "new title" not in before.text
        assert "No event matches." in before.text


def test_roles_below_and_the_whole_trail_are_refused(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    other = factories.production(session, title="Another Film")
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    member(session, "mo@nightshift.test", name="Mo", roles={pid: Role.marketer})
    member(session, "root@callsheet.test", name="Rita", roles={}, site_admin=True)
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        assert "/app/audit" not in web.get("/app/").text  # no link to a refusal
        assert web.get("/app/audit", params={"production_id": pid}).status_code == 403
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        assert web.get("/app/audit").status_code == 403
        assert web.get("/app/audit", params={"production_id": ""}).status_code == 403
        assert web.get("/app/audit", params={"production_id": other.id}).status_code == 403
    with browser(client.base_url) as web:
        sign_in(web, "root@callsheet.test")
        whole = web.get("/app/audit", params={"production_id": ""})
        assert whole.status_code == 200
        assert "Every production" in whole.text
        assert "production.created" in whole.text


def test_bad_filters_are_shown_beside_their_fields(client: httpx.Client, session: Session) -> None:
    production = factories.production(session)
    pid = production.id or 0
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        bad_day = web.get("/app/audit", params={"production_id": pid, "since": "someday"})
        assert bad_day.status_code == 422
        assert 'aria-describedby="audit-since-error"' in bad_day.text
        days = {"since": "2026-05-02", "until": "2026-05-01"}
        backwards = web.get("/app/audit", params={"production_id": pid, **days})
        assert backwards.status_code == 422
        assert "the last day comes before the first" in backwards.text
        long_actor = web.get("/app/audit", params={"production_id": pid, "actor": "x" * 121})
        assert long_actor.status_code == 422
        assert 'id="audit-actor-error"' in long_actor.text


def test_the_trail_pages_on(client: httpx.Client, session: Session) -> None:
    production = factories.production(session)
    pid = production.id or 0
    for number in range(55):
        _event(session, pid, "production.changed", "Maya <maya@x.test>", f"change {number:02}")
    session.commit()
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        first = web.get("/app/audit", params={"production_id": pid, "action": "production.ch"})
        assert first.text.count("<tr>") == 51  # the head and 50 events
        assert "change 54" in first.text
        assert "change 04" not in first.text
        older = f"/app/audit?production_id={pid}&amp;action=production.ch&amp;offset=50"
        assert f'href="{older}"' in first.text
        second = web.get(older.replace("&amp;", "&"))
        assert second.text.count("<tr>") == 6
        assert "change 00" in second.text
        assert 'rel="next"' not in second.text
