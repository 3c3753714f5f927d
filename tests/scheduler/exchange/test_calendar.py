"""The read-only timeline on both databases: the iCalendar feed and the CSV export, over HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar, Component, vCategory
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core.models import (
    Account,
    ContentPillar,
    Delivery,
    DeliveryStatus,
    MilestoneKind,
    Post,
)
from scheduler.exchange.ical import production_calendar
from scheduler.exchange.schedule import COLUMNS, export_schedule, guard_formula
from scheduler.planning.productions import add_milestone, create_production
from scheduler.planning.schemas import MilestoneCreate, ProductionCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post, edit_post
from scheduler.posts.schemas import AnchorIn, PostCreate, PostEdit
from tests import factories

PREMIERE = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
WRAP = datetime(2027, 1, 10, 19, 0, tzinfo=UTC)
TRICKY = "Take 3, scene 12; the crew\nat dawn — café, 東京 🎬 \\ back-slash"
FORMULA = '=HYPERLINK("https://evil.example/x","click")'
HEADER = (
    "post_id,delivery_id,pillar,template,body,variables,tags,media,milestone,offset,"
    "local_time,at,platform,handle,due_at,status"
)


@dataclass(frozen=True)
class Timeline:
    production: int
    premiere: int
    wrap: int
    countdown: int  # anchored -P14D 18:00 to the premiere, two accounts, approved
    after_wrap: int  # anchored +P1D 09:00 to the tentative wrap, approved
    tricky: int  # absolute, a body full of separators, left a draft
    formula: int  # absolute, a body that is a spreadsheet formula, approved


def _anchored(session: Session, timeline_ids: dict[str, int], accounts: list[Account]) -> int:
    post = create_post(
        session=session,
        actor=factories.ACTOR,
        data=PostCreate(
            production_id=timeline_ids["production"],
            pillar=ContentPillar.countdown,
            template="premiere_countdown",
            variables={"days_to_go": 14, "event": "the premiere"},
            tags=["countdown", "night shoot"],
            anchor=AnchorIn(
                milestone_id=timeline_ids["premiere"], offset="-P14D", local_time="18:00"
            ),
            account_ids=[a.id or 0 for a in accounts],
        ),
    )
    return _approve(session, post)


def _approve(session: Session, post: Post) -> int:
    post_id = post.id or 0
    submit_post(session=session, post_id=post_id, version=post.version, actor=factories.ACTOR)
    approve_post(
        session=session, post_id=post_id, version=post.version, actor="producer", shown=None
    )
    return post_id


@pytest.fixture
def timeline(session: Session, tmp_path: Path) -> Timeline:
    """A production with a confirmed and a tentative milestone; posts on both kinds of anchor."""
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, PREMIERE)
    wrap = (
        add_milestone(
            session=session,
            production_id=pid,
            actor=factories.ACTOR,
            data=MilestoneCreate(kind=MilestoneKind.wrap, name="Wrap", at=WRAP, tentative=True),
        ).id
        or 0
    )
    main = factories.outbox_account(session, tmp_path / "a.jsonl", production_ids=[pid])
    odd = factories.outbox_account(
        session, tmp_path / "b.jsonl", handle="@crew, night; ünïcode", production_ids=[pid]
    )
    countdown = _anchored(session, {"production": pid, "premiere": premiere}, [main, odd])
    after_wrap = create_post(
        session=session,
        actor=factories.ACTOR,
        data=PostCreate(
            production_id=pid,
            pillar=ContentPillar.on_set,
            body="Last slate of the night.",
            anchor=AnchorIn(milestone_id=wrap, offset="+P1D", local_time="09:00"),
            account_ids=[main.id or 0],
        ),
    )
    tricky = factories.post(
        session, pid, [odd], at=datetime(2027, 2, 1, 12, 30, tzinfo=UTC), body=TRICKY
    )
    formula = factories.post(
        session, pid, [main], at=datetime(2027, 2, 2, 9, tzinfo=UTC), body=FORMULA
    )
    ids = Timeline(
        production=pid,
        premiere=premiere,
        wrap=wrap,
        countdown=countdown,
        after_wrap=_approve(session, after_wrap),
        tricky=tricky.id or 0,
        formula=_approve(session, formula),
    )
    session.commit()
    return ids


def _deliveries(session: Session, post_id: int | None = None) -> list[Delivery]:
    query = select(Delivery).order_by(col(Delivery.due_at), col(Delivery.id))
    if post_id is not None:
        query = query.where(Delivery.post_id == post_id)
    session.expire_all()
    return list(session.exec(query))


def _events(body: bytes) -> dict[str, Component]:
    parsed = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def _text(value: object) -> str:
    """An X- property's TEXT value unescaped (RFC 5545 3.3.11); icalendar leaves those as sent."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def _categories(event: Component) -> list[str]:
    categories = event["CATEGORIES"]
    assert isinstance(categories, vCategory)
    return [str(c) for c in categories.cats]


def test_the_feed_has_one_event_per_milestone_and_delivery_with_stable_uids(
    client: httpx.Client, timeline: Timeline, session: Session
) -> None:
    first = client.get(f"/productions/{timeline.production}/calendar.ics")
    second = client.get(f"/productions/{timeline.production}/calendar.ics")

    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["content-disposition"] == 'inline; filename="night-shift.ics"'
    deliveries = _deliveries(session)
    assert len(deliveries) == 5
    expected = {f"milestone-{timeline.premiere}@callsheet", f"milestone-{timeline.wrap}@callsheet"}
    expected |= {f"delivery-{d.id}@callsheet" for d in deliveries}
    events = _events(first.content)
    assert set(events) == expected
    assert list(_events(second.content)) == list(events)
    assert len(Calendar.from_ical(first.content).walk("VEVENT")) == len(expected)
    for delivery in deliveries:
        event = events[f"delivery-{delivery.id}@callsheet"]
        assert event.decoded("DTSTART") == delivery.due_at
        assert event.decoded("DURATION") == timedelta(minutes=15)
        assert f"[{delivery.status}]" in str(event["SUMMARY"])
        assert delivery.status in _categories(event)


def test_milestones_show_their_status_and_the_calendar_its_production(
    client: httpx.Client, timeline: Timeline
) -> None:
    body = client.get(f"/productions/{timeline.production}/calendar.ics").content
    parsed = Calendar.from_ical(body)
    events = _events(body)

    wrap = events[f"milestone-{timeline.wrap}@callsheet"]
    premiere = events[f"milestone-{timeline.premiere}@callsheet"]
    assert (str(wrap["STATUS"]), str(premiere["STATUS"])) == ("TENTATIVE", "CONFIRMED")
    assert "(tentative)" in str(wrap["SUMMARY"])
    assert "tentative" not in str(premiere["SUMMARY"])
    assert "Premiere" in str(premiere["SUMMARY"])
    assert premiere.decoded("DTSTART") == PREMIERE
    assert "milestone" in _categories(premiere)
    assert str(parsed["PRODID"]) == "-//Callsheet//Production timeline//EN"
    assert _text(parsed["X-WR-CALNAME"]) == "Night Shift"
    assert _text(parsed["X-WR-TIMEZONE"]) == "Europe/London"
    assert str(parsed["X-PUBLISHED-TTL"]) == "PT1H"
    (after_wrap,) = _deliveries_of(events, "Last slate")
    assert str(after_wrap["STATUS"]) == "TENTATIVE"  # its milestone is tentative


def _deliveries_of(events: dict[str, Component], text: str) -> list[Component]:
    return [e for e in events.values() if text in str(e.get("DESCRIPTION", ""))]


def test_untrusted_text_round_trips_through_the_feed_exactly(
    client: httpx.Client, timeline: Timeline, session: Session
) -> None:
    body = client.get(f"/productions/{timeline.production}/calendar.ics").content
    (delivery,) = _deliveries(session, timeline.tricky)
    event = _events(body)[f"delivery-{delivery.id}@callsheet"]

    description = str(event["DESCRIPTION"])
    assert description.startswith(TRICKY + "\n")
    assert "Status: pending" in description
    assert str(event["SUMMARY"]) == "[pending] on_set · outbox @crew, night; ünïcode"
    assert _categories(event) == ["on_set", "pending"]
    assert str(event["STATUS"]) == "TENTATIVE"  # not approved yet


def test_a_hostile_production_title_cannot_add_events(session: Session) -> None:
    title = 'Night Shift, Part 2; "Dawn"\nEND:VCALENDAR\nBEGIN:VEVENT\nUID:evil'
    production = create_production(
        session=session,
        actor=factories.ACTOR,
        data=ProductionCreate(title=title, kind="film", timezone="UTC"),
    )
    session.commit()

    body = production_calendar(session=session, production_id=production.id or 0)

    parsed = Calendar.from_ical(body)
    assert parsed.walk("VEVENT") == []
    assert _text(parsed["X-WR-CALNAME"]) == title


def test_the_feed_shows_the_last_error_and_leaves_cancelled_deliveries_out(
    timeline: Timeline, session: Session
) -> None:
    first, second = _deliveries(session, timeline.countdown)
    first.last_error = "rate limited; retry at 18:05"
    session.add(first)
    post = session.get(Post, timeline.countdown)
    assert post is not None
    edit_post(
        session=session,
        post_id=timeline.countdown,
        actor=factories.ACTOR,
        data=PostEdit(version=post.version, account_ids=[first.account_id]),
    )
    session.commit()

    events = _events(production_calendar(session=session, production_id=timeline.production))

    assert f"delivery-{second.id}@callsheet" not in events
    kept = events[f"delivery-{first.id}@callsheet"]
    assert "Last error: rate limited; retry at 18:05" in str(kept["DESCRIPTION"])
    assert "Template: premiere_countdown" in str(kept["DESCRIPTION"])
    rows = list(
        csv.DictReader(
            io.StringIO(export_schedule(session=session, production_id=timeline.production))
        )
    )
    cancelled = [r for r in rows if r["delivery_id"] == str(second.id)]
    assert [r["status"] for r in cancelled] == [DeliveryStatus.cancelled.value]


def _rows(client: httpx.Client, production_id: int) -> tuple[str, list[dict[str, str]]]:
    answer = client.get(f"/productions/{production_id}/schedule.csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="night-shift-schedule.csv"'
    )
    return answer.text, list(csv.DictReader(io.StringIO(answer.text, newline="")))


def test_the_csv_has_the_documented_columns_and_one_row_per_delivery(
    client: httpx.Client, timeline: Timeline, session: Session
) -> None:
    text, rows = _rows(client, timeline.production)

    assert text.splitlines()[0] == HEADER
    assert tuple(HEADER.split(",")) == COLUMNS
    deliveries = _deliveries(session)
    assert [int(r["delivery_id"]) for r in rows] == [d.id for d in deliveries]
    assert [datetime.fromisoformat(r["due_at"]) for r in rows] == [d.due_at for d in deliveries]
    assert [r["status"] for r in rows] == [d.status for d in deliveries]


def test_the_csv_keeps_the_plan_needed_to_recreate_a_post(
    client: httpx.Client, timeline: Timeline
) -> None:
    _, rows = _rows(client, timeline.production)
    by_post: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        by_post.setdefault(int(row["post_id"]), []).append(row)

    countdown = by_post[timeline.countdown]
    # A handle starts with "@", which Excel evaluates: it is written quoted, and read back by
    # dropping exactly one leading quote.
    assert [r["handle"] for r in countdown] == ["'@nightshiftfilm", "'@crew, night; ünïcode"]
    assert [_unguard(r["handle"]) for r in countdown] == [
        "@nightshiftfilm",
        "@crew, night; ünïcode",
    ]
    row = countdown[0]
    assert (row["milestone"], row["offset"], row["local_time"], row["at"]) == (
        "Premiere",
        "-P14D",
        "18:00",
        "",
    )
    assert (row["pillar"], row["template"], row["body"]) == ("countdown", "premiere_countdown", "")
    assert json.loads(row["variables"]) == {"days_to_go": 14, "event": "the premiere"}
    assert row["tags"] == "countdown;night shoot"
    assert json.loads(row["media"]) == []
    assert row["due_at"] == "2027-02-15T18:00:00Z"
    (tricky,) = by_post[timeline.tricky]
    assert tricky["body"] == TRICKY
    assert (tricky["milestone"], tricky["offset"], tricky["at"]) == ("", "", "2027-02-01T12:30:00Z")
    (formula,) = by_post[timeline.formula]
    assert formula["body"] == "'" + FORMULA
    assert _unguard(formula["body"]) == FORMULA


def _unguard(cell: str) -> str:
    """How an importer reads a cell back: one leading quote, if any, is dropped."""
    return cell[1:] if cell.startswith("'") else cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-5 degrees on set", "'-5 degrees on set"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("'quoted", "''quoted"),
        ("Night shift", "Night shift"),
        ("", ""),
    ],
)
def test_cells_that_a_spreadsheet_would_evaluate_are_quoted(cell: str, written: str) -> None:
    assert guard_formula(cell) == written


@pytest.mark.parametrize("path", ["calendar.ics", "schedule.csv"])
def test_an_unknown_production_is_404(client: httpx.Client, engine: Engine, path: str) -> None:
    answer = client.get(f"/productions/4242/{path}")
    assert answer.status_code == 404
    assert "production 4242" in answer.json()["detail"]
