"""Embargo rules: refused at approval, held at claim time (also after a reflow)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.errors import Invalid
from scheduler.core.models import ContentPillar, Delivery, MilestoneKind
from scheduler.planning.embargoes import add_rule
from scheduler.planning.productions import add_milestone
from scheduler.planning.schemas import EmbargoCreate, MilestoneCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.reflow import move_milestone
from scheduler.posts.schemas import AnchorIn, PostCreate
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories

ANNOUNCEMENT = datetime(2027, 1, 12, 12, 0, tzinfo=UTC)


def _casting_post(
    session: Session, production: int, account: int, at: datetime, tags: list[str]
) -> int:
    post = create_post(
        session=session,
        actor="maya",
        data=PostCreate(
            production_id=production,
            pillar=ContentPillar.casting,
            template="casting_reveal",
            variables={"actor_name": "Juno Adeyemi", "role": "DI Hale", "quote": "Finally."},
            tags=tags,
            anchor=AnchorIn(at=at),
            account_ids=[account],
        ),
    )
    submit_post(session=session, post_id=post.id or 0, version=1, actor="maya")
    return post.id or 0


def _setup(session: Session, tmp_path: Path) -> tuple[int, int, int]:
    production = factories.production(session, approval_max_age_days=3650)  # claims in 2027
    announcement = add_milestone(
        session=session,
        production_id=production.id or 0,
        actor="maya",
        data=MilestoneCreate(
            kind=MilestoneKind.casting_announced, name="Casting announced", at=ANNOUNCEMENT
        ),
    )
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    add_rule(
        session=session,
        production_id=production.id or 0,
        actor="legal",
        data=EmbargoCreate(tag="casting", milestone_id=announcement.id or 0),
    )
    return production.id or 0, announcement.id or 0, account.id or 0


def test_approving_casting_news_before_the_announcement_is_refused(
    session: Session, tmp_path: Path
) -> None:
    production, _, account = _setup(session, tmp_path)
    early = _casting_post(
        session, production, account, ANNOUNCEMENT - timedelta(days=1), ["casting"]
    )
    with pytest.raises(Invalid) as refused:
        approve_post(session=session, post_id=early, version=1, actor="dev", shown=None)
    assert refused.value.field == "tags"
    assert "Casting announced" in refused.value.message
    assert "2027-01-12 12:00 UTC" in refused.value.message

    untagged = _casting_post(
        session, production, account, ANNOUNCEMENT - timedelta(days=1), ["on_set"]
    )
    approve_post(
        session=session, post_id=untagged, version=1, actor="dev", shown=None
    )  # not covered
    after = _casting_post(
        session, production, account, ANNOUNCEMENT + timedelta(hours=1), ["casting"]
    )
    approve_post(session=session, post_id=after, version=1, actor="dev", shown=None)


def test_a_reflow_past_the_embargo_holds_the_delivery_at_claim_time(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production, announcement, account = _setup(session, tmp_path)
    due = ANNOUNCEMENT + timedelta(hours=6)
    post = _casting_post(session, production, account, due, ["casting"])
    approve_post(session=session, post_id=post, version=1, actor="dev", shown=None)
    session.commit()
    # The announcement slips a week; the post (absolute time) would now break the embargo.
    move_milestone(
        session=session,
        production_id=production,
        milestone_id=announcement,
        at=ANNOUNCEMENT + timedelta(days=7),
        tentative=None,
        actor="dev",
        now=ANNOUNCEMENT - timedelta(days=30),
    )
    session.commit()

    claimed = claim_due(
        engine, now=due, owner="w", limit=10, lease_until=lease_deadline(datetime.now(UTC), 60)
    )

    assert claimed == []
    delivery = session.exec(select(Delivery)).one()
    session.commit()
    assert (delivery.status, delivery.held_for, delivery.attempt) == ("held", "embargo", 0)
    assert "Casting announced" in (delivery.last_error or "")
    assert "2027-01-19 12:00 UTC" in (delivery.last_error or "")


def test_an_embargo_needs_a_milestone_of_the_production_and_a_real_offset(
    session: Session, tmp_path: Path
) -> None:
    production, announcement, _ = _setup(session, tmp_path)
    other = factories.production(session)
    with pytest.raises(Invalid) as wrong:
        add_rule(
            session=session,
            production_id=other.id or 0,
            actor="legal",
            data=EmbargoCreate(tag="spoiler", milestone_id=announcement),
        )
    assert wrong.value.field == "milestone_id"
    with pytest.raises(Invalid) as bad:
        add_rule(
            session=session,
            production_id=production,
            actor="legal",
            data=EmbargoCreate(tag="spoiler", milestone_id=announcement, offset="a week"),
        )
    assert bad.value.field == "offset"
    _ = time
