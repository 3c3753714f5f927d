"""A calendar app subscribes to a production's feed through a link of a person's own, over real
HTTP on both databases: no header needed, one production only, stopped by revoking it, by
disabling the person or by removing them from the production, and never a way to sign in.

Before, the only feed was ``GET /productions/{id}/calendar.ics``, which needs an
``Authorization`` header or a session cookie that no calendar app sends (401), and
``POST /productions/{id}/calendar-subscriptions`` answered 404.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from icalendar import Calendar
from sqlmodel import Session, select

from scheduler.core.models import AuditEvent, CalendarSubscription, Role
from tests import factories
from tests.conftest import person_with_token

PREMIERE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)


def _as(client: httpx.Client, secret: str) -> httpx.Client:
    return httpx.Client(base_url=client.base_url, headers={"Authorization": f"Bearer {secret}"})


def _calendar_app(client: httpx.Client) -> httpx.Client:
    """What a calendar app is: no header, no cookie, only the URL."""
    return httpx.Client(base_url=client.base_url)


def _viewer(session: Session, production_id: int, email: str = "ivy@nightshift.test") -> str:
    return person_with_token(session, name="Ivy", email=email, roles={production_id: Role.viewer})


def _subscribe(person: httpx.Client, production_id: int) -> dict[str, str]:
    made = person.post(
        f"/productions/{production_id}/calendar-subscriptions", json={"name": "Google Calendar"}
    )
    assert made.status_code == 201, made.text
    link: dict[str, str] = made.json()
    return link


def _path(link: dict[str, str]) -> str:
    return urlsplit(link["url"]).path


def test_a_viewer_subscribes_and_a_calendar_app_reads_the_feed_without_signing_in(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    factories.premiere(session, pid, PREMIERE)
    other = factories.production(session)
    session.commit()
    with _as(client, _viewer(session, pid)) as ivy, _calendar_app(client) as app:
        assert app.get(f"/productions/{pid}/calendar.ics").status_code == 401

        link = _subscribe(ivy, pid)
        secret = _path(link).removeprefix("/calendar/").removesuffix(".ics")
        assert link["url"] == f"http://127.0.0.1:8000/calendar/{secret}.ics"
        assert link["webcal_url"] == f"webcal://127.0.0.1:8000/calendar/{secret}.ics"

        feed = app.get(_path(link))
        assert feed.status_code == 200, feed.text
        assert feed.headers["content-type"].startswith("text/calendar")
        events = Calendar.from_ical(feed.content).walk("VEVENT")
        assert [str(event["SUMMARY"]) for event in events] == ["★ Premiere"]

        # the link names one production; another one's feed needs a link of its own
        assert ivy.post(f"/productions/{other.id}/calendar-subscriptions").status_code == 403
        # the link reads a feed and nothing else: it is no API token
        assert app.get("/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401

        listed = ivy.get("/me/calendar-subscriptions")
        assert listed.status_code == 200
        assert [(s["id"], s["production_id"], s["name"]) for s in listed.json()] == [
            (link["id"], pid, "Google Calendar")
        ]
        assert secret not in listed.text
    stored = session.exec(select(CalendarSubscription)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in " ".join(str(e.after) for e in session.exec(select(AuditEvent)))


def test_every_dead_link_gets_the_same_404_revoked_removed_or_disabled(
    client: httpx.Client, session: Session
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    session.commit()
    with (
        _as(client, _viewer(session, pid)) as ivy,
        _as(client, _viewer(session, pid, "omar@nightshift.test")) as omar,
        _calendar_app(client) as app,
    ):
        ivy_id = ivy.get("/me").json()["id"]
        unknown = app.get("/calendar/cs_cal_made-up.ics")
        assert unknown.status_code == 404

        revoked = _subscribe(ivy, pid)
        assert omar.delete(f"/calendar-subscriptions/{revoked['id']}").status_code == 404
        assert app.get(_path(revoked)).status_code == 200  # someone else cannot revoke it
        gone = ivy.delete(f"/calendar-subscriptions/{revoked['id']}")
        assert gone.status_code == 200
        assert gone.json()["revoked_at"] is not None

        removed = _subscribe(ivy, pid)
        assert client.delete(f"/productions/{pid}/members/{ivy_id}").status_code == 204

        client.put(f"/productions/{pid}/members/{ivy_id}", json={"role": "viewer"})
        disabled = _subscribe(ivy, pid)
        assert app.get(_path(disabled)).status_code == 200
        assert client.post(f"/people/{ivy_id}/disable").status_code == 200
        refusals = [app.get(_path(link)) for link in (revoked, disabled)]
        assert client.post(f"/people/{ivy_id}/enable").status_code == 200
        refusals.append(app.get(_path(disabled)))  # revoked with the disabling, not paused
        # back in the production: removing her stopped that link while it lasted, and now it
        # is revoked with the others
        refusals.append(app.get(_path(removed)))

        assert [(r.status_code, r.text) for r in refusals] == [(404, unknown.text)] * len(refusals)


def test_removing_a_member_stops_their_link_at_once(client: httpx.Client, session: Session) -> None:
    production = factories.production(session)
    pid = production.id or 0
    session.commit()
    with _as(client, _viewer(session, pid)) as ivy, _calendar_app(client) as app:
        ivy_id = ivy.get("/me").json()["id"]
        link = _subscribe(ivy, pid)
        assert app.get(_path(link)).status_code == 200
        assert client.delete(f"/productions/{pid}/members/{ivy_id}").status_code == 204
        assert app.get(_path(link)).status_code == 404


def test_a_site_admin_revokes_anyones_link(client: httpx.Client, session: Session) -> None:
    production = factories.production(session)
    pid = production.id or 0
    session.commit()
    with _as(client, _viewer(session, pid)) as ivy, _calendar_app(client) as app:
        link = _subscribe(ivy, pid)
        assert client.delete(f"/calendar-subscriptions/{link['id']}").status_code == 200
        assert app.get(_path(link)).status_code == 404
