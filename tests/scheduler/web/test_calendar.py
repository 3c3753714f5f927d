"""The calendar pages over HTTP: the month grid's days and chips, blackouts and embargoes on
the agenda, every production's calendar, pages of a long agenda, refusals, and the move forms
(a post's, a milestone's with its preview), each refusal beside its field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event
from sqlmodel import Session, select

from scheduler.core.models import Delivery, Milestone, MilestoneKind, Post, Production, Role
from scheduler.planning.embargoes import add_rule
from scheduler.planning.productions import add_milestone
from scheduler.planning.schemas import BlackoutCreate, EmbargoCreate, MilestoneCreate
from scheduler.planning.windows import add_blackout
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate
from scheduler.web.calendars import PAGE, agenda_page, month_grid
from tests import factories
from tests.scheduler.web.pages import browser, form_token, member, sign_in

#: A Monday: March 2027's grid starts on the 1st and ends on Sunday 4 April.
PREMIERE = datetime(2027, 3, 20, 19, 0, tzinfo=UTC)
FIRST_OF_MARCH = datetime(2027, 3, 1, tzinfo=UTC)


def _plan(session: Session, tmp_path: Path) -> dict[str, int]:
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, PREMIERE)
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
    factories.serve(session, pid, [account])
    anchored = create_post(
        session=session,
        actor="test",
        data=PostCreate(
            production_id=pid,
            pillar="countdown",
            body="Two weeks to go.",
            tags=["trailer"],
            anchor=AnchorIn(milestone_id=premiere, offset="-P14D", local_time=time(18, 0)),
            account_ids=[account.id or 0],
        ),
    )
    loose = factories.post(
        session, pid, [account], body="Wrap party", at=datetime(2027, 3, 24, 9, 30, tzinfo=UTC)
    )
    add_blackout(
        session=session,
        data=BlackoutCreate(
            production_id=pid,
            starts_at=datetime(2027, 3, 15, 0, 0, tzinfo=UTC),
            ends_at=datetime(2027, 3, 16, 0, 0, tzinfo=UTC),
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
    member(session, "dev@nightshift.test", name="Dev", roles={pid: Role.producer})
    member(session, "mo@nightshift.test", name="Mo", roles={pid: Role.marketer})
    member(session, "vi@nightshift.test", name="Vi", roles={pid: Role.viewer})
    return {
        "production": pid,
        "premiere": premiere,
        "anchored": anchored.id or 0,
        "loose": loose.id or 0,
    }


@contextmanager
def _signed_in(client: httpx.Client, email: str) -> Iterator[httpx.Client]:
    with browser(client.base_url) as web:
        assert sign_in(web, email).status_code == 303
        yield web


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)


def test_the_month_grid_has_its_days_and_chips(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    with _signed_in(client, "vi@nightshift.test") as web:
        grid = web.get(
            f"/app/productions/{plan['production']}/calendar",
            params={"view": "month", "month": "2027-03"},
        )
    assert grid.status_code == 200
    assert "March 2027" in grid.text
    assert grid.text.count('<th scope="col">') == 7
    assert '<abbr title="Monday">Mon</abbr>' in grid.text
    cells = _cells(grid.text)
    assert len(cells) == 35  # 1 March (a Monday) to 4 April (a Sunday)
    assert '<time datetime="2027-03-01">1</time>' in cells[0]
    assert '<time datetime="2027-04-04">4</time>' in cells[-1]
    countdown = cells[5]  # Saturday 6 March, 14 days before the premiere, 18:00 GMT
    assert "18:00" in countdown
    assert "outbox" in countdown
    assert "draft" in countdown
    assert "chip-draft" in countdown
    assert "Premiere" in cells[19]  # Saturday 20 March
    tentative = cells[9]  # Wednesday 10 March
    assert "Trailer drop" in tentative
    assert 'class="milestone-band tentative"' in tentative
    assert "tentative" in tentative
    assert "Blackout: Festival press day" in cells[14]  # Monday 15 March
    assert "Blackout" not in cells[15]
    assert "Embargo lifts 17:00: trailer" in cells[9]
    assert "09:30" in cells[23]  # Wednesday 24 March, GMT until the 28th
    assert "month=2027-02" in grid.text
    assert "month=2027-04" in grid.text
    assert "Europe/London" in grid.text


def test_the_agenda_shows_blackouts_embargoes_and_the_zone(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    with _signed_in(client, "vi@nightshift.test") as web:
        agenda = web.get(
            f"/app/productions/{plan['production']}/calendar", params={"from": "2027-03-01"}
        )
    assert agenda.status_code == 200
    assert "Europe/London" in agenda.text
    assert "Festival press day" in agenda.text
    assert "&#39;trailer&#39; posts wait for Trailer drop" in agenda.text
    assert "tentative date: lifts nothing yet" in agenda.text
    assert "embargoed" in agenda.text  # the countdown is tagged and due before the lift
    # A viewer sees no move forms.
    assert "/move" not in agenda.text


def test_every_production_s_calendar_names_each_row_s_production(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    other = factories.production(session, title="Another Film", timezone="America/New_York")
    account = factories.outbox_account(session, tmp_path / "b.jsonl", handle="@another")
    factories.post(session, other.id or 0, [account], body="Theirs", at=PREMIERE)
    hostile = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'
    factories.post(session, plan["production"], [account], body=hostile, at=PREMIERE)
    member(session, "sam@nightshift.test", name="Sam", roles={plan["production"]: Role.viewer})
    with _signed_in(client, "dev@nightshift.test") as web:
        home = web.get("/app/")
        assert 'href="/app/calendar"' in home.text
    with _signed_in(client, "sam@nightshift.test") as web:
        everything = web.get("/app/calendar", params={"from": "2027-03-01"})
    assert everything.status_code == 200
    assert "All productions" in everything.text
    assert "Night Shift" in everything.text
    assert "Wrap party" in everything.text
    assert "Theirs" not in everything.text
    assert "Another Film" not in everything.text
    assert "<script>alert(1)</script>" not in everything.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in everything.text
    assert 'href="javascript:' not in everything.text
    assert "Times in" not in everything.text  # each row names its own zone
    assert 'data-zone="Europe/London"' in everything.text


def test_a_non_member_is_refused_the_calendar_and_the_move_pages(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    outsider = factories.production(session, title="Another Film")
    member(session, "out@nightshift.test", name="Out", roles={outsider.id or 0: Role.producer})
    pid, post = plan["production"], plan["loose"]
    with _signed_in(client, "out@nightshift.test") as web:
        assert web.get(f"/app/productions/{pid}/calendar").status_code == 403
        month = web.get(f"/app/productions/{pid}/calendar", params={"view": "month"})
        assert month.status_code == 403
        assert web.get(f"/app/posts/{post}/move").status_code == 403
        milestone = f"/app/productions/{pid}/milestones/{plan['premiere']}/move"
        assert web.get(milestone).status_code == 403
        token = form_token(web.get("/app/"))
        moved = web.post(f"/app/posts/{post}/move", data={"csrf": token, "day": "2027-03-25"})
        assert moved.status_code == 403
    with _signed_in(client, "mo@nightshift.test") as web:
        # A marketer moves posts, not milestones: that is a producer's, as in the API.
        assert web.get(f"/app/posts/{post}/move").status_code == 200
        assert (
            web.get(f"/app/productions/{pid}/milestones/{plan['premiere']}/move").status_code == 403
        )


def test_a_post_moves_to_another_day_at_its_time_of_day(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    pid, post_id = plan["production"], plan["anchored"]
    with _signed_in(client, "mo@nightshift.test") as web:
        agenda = web.get(f"/app/productions/{pid}/calendar", params={"from": "2027-03-01"})
        assert f'action="/app/posts/{post_id}/move"' in agenda.text
        assert "an approved post goes back to review" in agenda.text
        moved = web.post(
            f"/app/posts/{post_id}/move",
            data={
                "csrf": form_token(agenda),
                "day": "2027-03-08",
                "version": "1",
                "back": f"/app/productions/{pid}/calendar?from=2027-03-01",
            },
        )
        assert moved.status_code == 303, moved.text
        assert moved.headers["location"].endswith(f"from=2027-03-01&moved_post={post_id}")
        after = web.get(moved.headers["location"])
    assert f"Post #{post_id} moved" in after.text
    session.expire_all()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post_id)).all()
    assert delivery.due_at == datetime(2027, 3, 8, 18, 0, tzinfo=UTC)
    post = session.get(Post, post_id)
    assert post is not None
    assert post.anchor_milestone_id == plan["premiere"]  # it still follows the premiere
    assert post.anchor_offset == "-P12D"
    assert post.version == 2


def test_the_move_form_says_what_is_wrong_beside_the_field(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    pid, post_id = plan["production"], plan["loose"]
    with _signed_in(client, "dev@nightshift.test") as web:
        form = web.get(f"/app/posts/{post_id}/move")
        refused = web.post(
            f"/app/posts/{post_id}/move",
            data={"csrf": form_token(form), "day": "the 8th", "version": "1"},
        )
        assert refused.status_code == 422
        assert 'aria-invalid="true"' in refused.text
        assert 'id="day-error"' in refused.text
        assert "valid date" in refused.text
        milestone = f"/app/productions/{pid}/milestones/{plan['premiere']}/move"
        bad_time = web.post(
            milestone,
            data={"csrf": form_token(form), "day": "2027-03-27", "time": "25:99"},
        )
        assert bad_time.status_code == 422
        assert 'aria-describedby="time-error"' in bad_time.text
        assert 'id="day-error"' not in bad_time.text
    session.expire_all()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post_id)).all()
    assert delivery.due_at == datetime(2027, 3, 24, 9, 30, tzinfo=UTC)
    premiere = session.get(Milestone, plan["premiere"])
    assert premiere is not None
    assert premiere.at == PREMIERE


def test_a_milestone_move_is_previewed_then_applied(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    plan = _plan(session, tmp_path)
    pid, post_id = plan["production"], plan["anchored"]
    path = f"/app/productions/{pid}/milestones/{plan['premiere']}/move"
    with _signed_in(client, "dev@nightshift.test") as web:
        form = web.get(path)
        assert 'value="2027-03-20"' in form.text
        assert 'value="19:00"' in form.text
        preview = web.post(
            path, data={"csrf": form_token(form), "day": "2027-03-27", "time": "19:00"}
        )
        assert preview.status_code == 200
        assert "Nothing has changed yet" in preview.text
        assert f"#{post_id}" in preview.text
        assert "Sat 13 Mar 2027, 18:00" in preview.text  # 14 days before the 27th
        assert "embargoed" in preview.text  # tagged 'trailer', the trailer date not confirmed
        session.expire_all()
        (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post_id)).all()
        assert delivery.due_at == datetime(2027, 3, 6, 18, 0, tzinfo=UTC)
        session.rollback()  # the test's read ends before the page writes
        applied = web.post(
            path,
            data={
                "csrf": form_token(preview),
                "day": "2027-03-27",
                "time": "19:00",
                "confirm": "true",
            },
        )
        assert applied.status_code == 303, applied.text
        calendar = web.get(applied.headers["location"])
    assert "Premiere moved" in calendar.text
    session.expire_all()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post_id)).all()
    assert delivery.due_at == datetime(2027, 3, 13, 18, 0, tzinfo=UTC)


def test_a_long_agenda_comes_in_pages_with_every_row_once(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    count = PAGE + 30
    for n in range(count):
        # Three at each instant, so pages must not cut between rows that share one.
        at = FIRST_OF_MARCH + timedelta(hours=n // 3)
        factories.post(session, pid, [account], body=f"Post number {n:04d}.", at=at)
    session.commit()
    member(session, "vi@nightshift.test", name="Vi", roles={pid: Role.viewer})
    seen: list[str] = []
    with _signed_in(client, "vi@nightshift.test") as web:
        first = web.get(f"/app/productions/{pid}/calendar", params={"from": "2027-03-01"})
        seen += re.findall(r"Post number (\d{4})", first.text)
        later = re.search(r'href="\?(from=[^"]+)" rel="next"', first.text)
        assert later is not None
        second = web.get(f"/app/productions/{pid}/calendar?{later.group(1).replace('&amp;', '&')}")
        seen += re.findall(r"Post number (\d{4})", second.text)
        assert 'rel="next"' not in second.text
        earlier = re.search(r'href="\?(before=[^"]+)" rel="prev"', second.text)
        assert earlier is not None
        back = web.get(f"/app/productions/{pid}/calendar?{earlier.group(1).replace('&amp;', '&')}")
    on_first = re.findall(r"Post number (\d{4})", first.text)
    assert len(on_first) <= PAGE
    assert sorted(seen) == [f"{n:04d}" for n in range(count)]  # each row once, none lost
    assert re.findall(r"Post number (\d{4})", back.text) == on_first


def _statements(session: Session, production: Production) -> int:
    """How many statements one agenda page and one month of ``production`` send."""
    sent: list[str] = []

    def count(*args: object) -> None:
        sent.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        agenda_page(session, [production], since=FIRST_OF_MARCH, before=None)
        month_grid(session, [production], FIRST_OF_MARCH.date(), ZoneInfo(production.timezone))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_a_page_reads_a_fixed_number_of_queries_however_many_posts(
    session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    factories.premiere(session, pid, PREMIERE)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    for n in range(3):
        factories.post(session, pid, [account], at=FIRST_OF_MARCH + timedelta(hours=n))
    session.commit()
    few = _statements(session, production)
    for n in range(40):
        factories.post(session, pid, [account], at=FIRST_OF_MARCH + timedelta(hours=n, days=1))
    session.commit()
    assert _statements(session, production) == few
