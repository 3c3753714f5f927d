"""Moving a milestone: reflow, past-due policy, tentative dates, approvals that survive."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.errors import NotFound
from scheduler.core.models import (
    AuditEvent,
    ContentPillar,
    Delivery,
    Milestone,
    MilestoneKind,
    Post,
    Production,
)
from scheduler.planning.embargoes import add_rule
from scheduler.planning.productions import add_milestone
from scheduler.planning.schemas import EmbargoCreate, MilestoneCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.reflow import move_milestone
from scheduler.posts.schemas import AnchorIn, PostCreate
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.publishing import fence
from tests import factories

LONDON = ZoneInfo("Europe/London")
PREMIERE = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)  # GMT
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _anchored(
    session: Session,
    production: int,
    milestone: int,
    accounts: list[int],
    *,
    offset: str,
    local: str | None = "18:00",
    template: str | None = None,
    body: str | None = None,
    approve: bool = True,
) -> Post:
    if template is None and body is None:
        body = "Night shift, behind the scenes: {{ production.title }}."
    variables = {"days_to_go": 14, "event": "the premiere"} if template else {}
    post = create_post(
        session=session,
        actor="maya",
        data=PostCreate(
            production_id=production,
            pillar=ContentPillar.countdown,
            body=body,
            template=template,
            variables=variables,
            anchor=AnchorIn(
                milestone_id=milestone,
                offset=offset,
                local_time=time.fromisoformat(local) if local else None,
            ),
            account_ids=accounts,
        ),
    )
    if approve:
        submit_post(session=session, post_id=post.id or 0, version=1, actor="maya")
        approve_post(session=session, post_id=post.id or 0, version=1, actor="dev", shown=None)
    return post


def _setup(session: Session, tmp_path: Path, **production: object) -> tuple[int, int, int]:
    # Claims here happen in 2027, long after today's approvals: keep those approvals fresh.
    made = factories.production(session, approval_max_age_days=3650)
    for key, value in production.items():
        setattr(made, key, value)
    session.add(made)
    milestone = factories.premiere(session, made.id or 0, PREMIERE)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[made.id or 0]
    )
    return made.id or 0, milestone, account.id or 0


def _deliveries(session: Session, post: Post) -> list[Delivery]:
    session.expire_all()
    return list(session.exec(select(Delivery).where(Delivery.post_id == post.id)))


def test_a_premiere_that_slips_three_weeks_takes_its_posts_along(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production, premiere, account = _setup(session, tmp_path)
    plain = _anchored(session, production, premiere, [account], offset="-P14D")
    dated = _anchored(
        session, production, premiere, [account], offset="-P7D", template="premiere_countdown"
    )
    session.commit()

    later = PREMIERE + timedelta(weeks=3)  # 22 March: still GMT; -P14D lands on 8 March
    moves = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=later,
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()

    by_post = {m.post_id: m for m in moves}
    assert by_post[plain.id].old_due_at == datetime(2027, 2, 15, 18, 0, tzinfo=UTC)
    assert by_post[plain.id].new_due_at == datetime(2027, 3, 8, 18, 0, tzinfo=UTC)
    (kept,) = _deliveries(session, plain)
    assert (kept.status, kept.due_at) == ("scheduled", by_post[plain.id].new_due_at)
    assert kept.approval_id is not None  # same words, approval survives
    (redo,) = _deliveries(session, dated)
    assert (redo.status, redo.approval_id) == ("pending", None)  # it prints the date
    assert session.get(Post, dated.id).status == "in_review"  # type: ignore[union-attr]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "milestone.moved")).one()
    assert event.after is not None
    assert event.after["moved"] == 2


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("Out on {{ due.weekday }}, {{ due.date }}: {{ production.title }}.", False),
        ("{% set when = due %}See you on {{ when.date }}.", False),
        ("{% if milestone %}{{ milestone.date }}{% endif %}: the premiere.", False),
        ("Costume fittings are due this week on {{ production.title }}.", True),  # prose
        ("Counting down to the {{ milestone.name }}.", True),  # rendered again: same text
    ],
)
def test_only_text_that_changes_with_the_date_loses_its_approval(
    session: Session, tmp_path: Path, body: str, kept: bool
) -> None:
    """Guards the shortcut that keeps approvals without rendering: it must never be wrong."""
    production, premiere, account = _setup(session, tmp_path)
    post = _anchored(session, production, premiere, [account], offset="-P14D", body=body)
    session.commit()
    (move,) = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=PREMIERE + timedelta(weeks=3),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    (delivery,) = _deliveries(session, post)
    reloaded = session.get(Post, post.id)
    assert reloaded is not None
    if kept:
        assert (move.status, move.note) == ("scheduled", None)
        assert (delivery.status, reloaded.status) == ("scheduled", "approved")
        assert delivery.approval_id is not None
    else:
        assert (delivery.status, delivery.approval_id) == ("pending", None)
        assert reloaded.status == "in_review"


def test_local_time_is_kept_when_the_move_crosses_daylight_saving(
    session: Session, tmp_path: Path
) -> None:
    production, premiere, account = _setup(session, tmp_path)
    post = _anchored(session, production, premiere, [account], offset="-P1D")
    session.commit()
    move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=datetime(2027, 4, 12, 18, 0, tzinfo=UTC),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    (delivery,) = _deliveries(session, post)
    assert delivery.due_at.astimezone(LONDON).time() == time(18, 0)  # BST now
    assert delivery.due_at == datetime(2027, 4, 11, 17, 0, tzinfo=UTC)


def test_in_flight_and_published_deliveries_never_move(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production, premiere, account = _setup(session, tmp_path)
    post = _anchored(session, production, premiere, [account], offset="-P14D")
    session.commit()
    due = datetime(2027, 2, 15, 18, 0, tzinfo=UTC)
    (claimed,) = claim_due(
        engine, now=due, owner="w", limit=5, lease_until=lease_deadline(datetime.now(UTC), 300)
    )
    fence(engine, ids=[claimed], owner="w", lease_until=lease_deadline(datetime.now(UTC), 300))

    moves = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=PREMIERE + timedelta(days=30),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    assert moves == []
    (delivery,) = _deliveries(session, post)
    assert (delivery.status, delivery.due_at) == ("publishing", due)


@pytest.mark.parametrize(
    ("policy", "status"), [("hold", "held"), ("send_now", "scheduled"), ("skip", "cancelled")]
)
def test_moved_into_the_past_follows_the_production_policy(
    session: Session, tmp_path: Path, policy: str, status: str
) -> None:
    production, premiere, account = _setup(session, tmp_path, past_due_policy=policy)
    post = _anchored(session, production, premiere, [account], offset="-P14D")
    session.commit()
    earlier = NOW + timedelta(days=3)  # -P14D is now eleven days ago
    (move,) = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=earlier,
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    (delivery,) = _deliveries(session, post)
    assert delivery.status == status
    assert move.note is not None
    assert "past" in move.note
    if policy == "send_now":
        assert delivery.due_at == NOW
    if policy == "hold":
        assert delivery.held_for == "past_due"


def test_a_tentative_premiere_holds_approved_posts_until_confirmed(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production, premiere, account = _setup(session, tmp_path)
    milestone = session.get(Milestone, premiere)
    assert milestone is not None
    milestone.tentative = True
    session.add(milestone)
    post = _anchored(session, production, premiere, [account], offset="-P14D")
    session.commit()
    (delivery,) = _deliveries(session, post)
    due, delivery_id = delivery.due_at, delivery.id
    session.commit()
    assert (delivery.status, delivery.held_for) == ("held", "tentative")
    assert (
        claim_due(
            engine,
            now=PREMIERE,
            owner="w",
            limit=5,
            lease_until=lease_deadline(datetime.now(UTC), 60),
        )
        == []
    )

    (move,) = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=None,
        tentative=False,
        actor="dev",
        now=NOW,
    )
    session.commit()
    assert (move.status, move.note) == ("scheduled", "milestone confirmed")
    claimed = claim_due(  # on time: at the premiere itself it would be 14 days late, and held
        engine,
        now=due,
        owner="w",
        limit=5,
        lease_until=lease_deadline(datetime.now(UTC), 60),
    )
    assert claimed == [delivery_id]


def test_a_milestone_of_another_production_is_not_found(session: Session, tmp_path: Path) -> None:
    _, premiere, _ = _setup(session, tmp_path)
    other = factories.production(session)
    with pytest.raises(NotFound):
        move_milestone(
            session=session,
            production_id=other.id or 0,
            milestone_id=premiere,
            at=PREMIERE,
            tentative=None,
            actor="dev",
            now=NOW,
        )
    assert session.get(Production, other.id) is not None


def test_a_move_respects_quiet_hours_and_blackouts(session: Session, tmp_path: Path) -> None:
    production, premiere, _ = _setup(session, tmp_path)
    night_owls = create_account(
        session=session,
        actor="maya",
        data=AccountCreate(
            platform="outbox",
            handle="@owls",
            settings={"path": str(tmp_path / "o.jsonl")},
            quiet_start=time(22, 0),
            quiet_end=time(8, 0),
            production_ids=[production],
        ),
    )
    post = _anchored(
        session, production, premiere, [night_owls.id or 0], offset="-PT1H", local=None
    )
    session.commit()
    # Premiere at 23:30 London: an hour before is 22:30, inside the account's quiet hours.
    move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=datetime(2027, 3, 1, 23, 30, tzinfo=UTC),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    (delivery,) = _deliveries(session, post)
    assert delivery.due_at == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
    assert "quiet hours 22:00-08:00" in (delivery.schedule_note or "")


def test_a_past_due_hold_lifts_when_the_milestone_moves_back(
    session: Session, tmp_path: Path
) -> None:
    production, premiere, account = _setup(session, tmp_path)
    post = _anchored(session, production, premiere, [account], offset="-P14D")
    session.commit()
    move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=NOW + timedelta(days=3),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    (held,) = _deliveries(session, post)
    assert (held.status, held.held_for) == ("held", "past_due")

    (move,) = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=PREMIERE,
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    (delivery,) = _deliveries(session, post)
    assert (delivery.status, delivery.held_for) == ("scheduled", None)
    assert move.note == "moved back into the future"


def test_without_kept_approvals_every_moved_post_goes_back_to_review(
    session: Session, tmp_path: Path
) -> None:
    production, premiere, account = _setup(session, tmp_path, keep_approvals_on_reflow=False)
    second = (
        factories.outbox_account(
            session, tmp_path / "b.jsonl", handle="@second", production_ids=[production]
        ).id
        or 0
    )
    posts = [
        _anchored(session, production, premiere, [account, second], offset=f"-P{days}D")
        for days in (7, 14)
    ]
    session.commit()
    moves = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=PREMIERE + timedelta(weeks=3),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    assert len(moves) == 4
    for post in posts:
        deliveries = _deliveries(session, post)
        assert [(d.status, d.approval_id) for d in deliveries] == [("pending", None)] * 2
        assert session.get(Post, post.id).status == "in_review"  # type: ignore[union-attr]


def test_deliveries_that_move_alike_keep_their_own_approvals(
    session: Session, tmp_path: Path
) -> None:
    """Deliveries with the same new time and state share one planned outcome, not one row."""
    production, premiere, account = _setup(session, tmp_path)
    posts = [
        _anchored(session, production, premiere, [account], offset="-P14D", body=f"Take {n}.")
        for n in range(3)
    ]
    session.commit()
    before = {p.id: _deliveries(session, p)[0].approval_id for p in posts}
    moves = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=PREMIERE + timedelta(weeks=3),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    assert {(m.new_due_at, m.status, m.note) for m in moves} == {
        (datetime(2027, 3, 8, 18, 0, tzinfo=UTC), "scheduled", None)
    }
    after = {p.id: _deliveries(session, p)[0].approval_id for p in posts}
    assert after == before
    assert len(set(after.values())) == 3


def test_a_preview_says_what_would_move_and_changes_nothing(
    session: Session, tmp_path: Path
) -> None:
    """Past due, under an embargo, back to review: each said before anything is written."""
    production, premiere, account = _setup(session, tmp_path)
    plain = _anchored(session, production, premiere, [account], offset="-P14D")
    dated = _anchored(
        session, production, premiere, [account], offset="-P7D", template="premiere_countdown"
    )
    teaser = _anchored(session, production, premiere, [account], offset="-P1D", approve=False)
    teaser.tags = ["trailer"]
    session.add(teaser)
    trailer = add_milestone(
        session=session,
        production_id=production,
        actor="dev",
        data=MilestoneCreate(kind=MilestoneKind.trailer, name="Trailer", at=PREMIERE - DAY * 5),
    ).id
    assert trailer is not None
    add_rule(
        session=session,
        production_id=production,
        data=EmbargoCreate(tag="trailer", milestone_id=trailer, offset="PT0S"),
        actor="dev",
    )
    session.commit()

    earlier = datetime(2027, 1, 15, 19, 0, tzinfo=UTC)  # -P14D and -P7D land before NOW
    moves = move_milestone(
        session=session,
        production_id=production,
        milestone_id=premiere,
        at=earlier,
        tentative=None,
        actor="dev",
        now=NOW,
        apply=False,
    )
    session.rollback()

    by_post = {m.post_id: m for m in moves}
    assert by_post[plain.id].new_due_at == datetime(2027, 1, 1, 18, 0, tzinfo=UTC)
    assert by_post[plain.id].past_due
    assert by_post[dated.id].back_to_review
    assert by_post[teaser.id].embargo is not None
    assert "'trailer' posts wait for Trailer" in by_post[teaser.id].embargo
    session.expire_all()
    milestone = session.get(Milestone, premiere)
    assert milestone is not None
    assert milestone.at == PREMIERE
    (kept,) = _deliveries(session, plain)
    assert kept.due_at == datetime(2027, 2, 15, 18, 0, tzinfo=UTC)
    assert kept.status == "scheduled"
    moved = select(AuditEvent).where(AuditEvent.action == "milestone.moved")
    assert session.exec(moved).first() is None
