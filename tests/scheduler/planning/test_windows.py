"""Blackouts and quiet hours: due times move out of them, with the reason kept."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.errors import Invalid
from scheduler.core.models import Delivery
from scheduler.planning.schemas import BlackoutCreate
from scheduler.planning.windows import QuietHours, Window, add_blackout, first_allowed
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories

NIGHT = QuietHours(start=time(23, 0), end=time(7, 0), timezone="Europe/London")


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (datetime(2027, 1, 20, 23, 30, tzinfo=UTC), datetime(2027, 1, 21, 7, 0, tzinfo=UTC)),
        (datetime(2027, 1, 21, 6, 0, tzinfo=UTC), datetime(2027, 1, 21, 7, 0, tzinfo=UTC)),
        (datetime(2027, 1, 21, 12, 0, tzinfo=UTC), datetime(2027, 1, 21, 12, 0, tzinfo=UTC)),
        # Summer: London is UTC+1, so 22:30 UTC is 23:30 local and 07:00 local is 06:00 UTC.
        (datetime(2027, 7, 1, 22, 30, tzinfo=UTC), datetime(2027, 7, 2, 6, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_across_midnight_in_the_audience_zone(
    due: datetime, expected: datetime
) -> None:
    moved, note = first_allowed(due, blackouts=[], quiet=NIGHT)
    assert moved == expected
    assert (note is None) == (due == expected)


def test_a_blackout_that_ends_in_quiet_hours_moves_on_to_morning() -> None:
    blackout = Window(
        starts_at=datetime(2027, 1, 20, 18, 0, tzinfo=UTC),
        ends_at=datetime(2027, 1, 20, 23, 30, tzinfo=UTC),
        reason="Awards night",
    )
    moved, note = first_allowed(
        datetime(2027, 1, 20, 19, 0, tzinfo=UTC), blackouts=[blackout], quiet=NIGHT
    )
    assert moved == datetime(2027, 1, 21, 7, 0, tzinfo=UTC)
    assert note is not None
    assert "blackout: Awards night" in note
    assert "quiet hours 23:00-07:00 Europe/London" in note


def test_quiet_hours_shape_only_the_account_that_has_them(session: Session, tmp_path: Path) -> None:
    production = factories.production(session)
    loud = factories.outbox_account(session, tmp_path / "a.jsonl", "@main")
    quiet = create_account(
        session=session,
        actor="maya",
        data=AccountCreate(
            platform="outbox",
            handle="@us",
            settings={"path": str(tmp_path / "b.jsonl")},
            audience_timezone="America/New_York",
            quiet_start=time(22, 0),
            quiet_end=time(8, 0),
        ),
    )
    late = datetime(2027, 1, 21, 4, 0, tzinfo=UTC)  # 23:00 in New York
    factories.post(session, production.id or 0, [loud, quiet], at=late)
    session.commit()
    rows = {d.account_id: d for d in session.exec(select(Delivery))}
    session.commit()
    assert (rows[loud.id].due_at, rows[loud.id].schedule_note) == (late, None)
    assert rows[quiet.id].due_at == datetime(2027, 1, 21, 13, 0, tzinfo=UTC)  # 08:00 NY
    assert "quiet hours 22:00-08:00 America/New_York" in (rows[quiet.id].schedule_note or "")


def test_a_blackout_added_after_approval_stops_claims_until_it_ends(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "a.jsonl")
    factories.approved_post(session, production.id or 0, [account])  # due a minute ago
    now = datetime.now(UTC)
    add_blackout(
        session=session,
        actor="dev",
        data=BlackoutCreate(
            production_id=production.id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            reason="Breaking news",
        ),
    )
    session.commit()

    lease = lease_deadline(now, 60)
    assert claim_due(engine, now=now, owner="w", limit=5, lease_until=lease) == []
    ended = now + timedelta(hours=1, minutes=1)  # within its grace: later it would be held late
    assert len(claim_due(engine, now=ended, owner="w", limit=5, lease_until=lease)) == 1


def test_bad_windows_name_the_field(session: Session, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with pytest.raises(Invalid) as backwards:
        add_blackout(
            session=session,
            actor="dev",
            data=BlackoutCreate(starts_at=now, ends_at=now - timedelta(hours=1), reason="x"),
        )
    assert backwards.value.field == "ends_at"
    with pytest.raises(Invalid) as half:
        create_account(
            session=session,
            actor="maya",
            data=AccountCreate(
                platform="outbox",
                handle="@x",
                settings={"path": str(tmp_path / "x")},
                quiet_start=time(23, 0),
            ),
        )
    assert half.value.field == "quiet_end"
    with pytest.raises(Invalid) as nowhere:
        create_account(
            session=session,
            actor="maya",
            data=AccountCreate(
                platform="outbox",
                handle="@y",
                settings={"path": str(tmp_path / "y")},
                audience_timezone="Atlantis/Central",
            ),
        )
    assert nowhere.value.field == "audience_timezone"
    with pytest.raises(Invalid) as empty:
        create_account(
            session=session,
            actor="maya",
            data=AccountCreate(
                platform="outbox",
                handle="@z",
                settings={"path": str(tmp_path / "z")},
                quiet_start=time(23, 0),
                quiet_end=time(23, 0),
            ),
        )
    assert empty.value.field == "quiet_end"
