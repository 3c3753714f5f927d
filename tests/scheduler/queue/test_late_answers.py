"""A platform's answer that comes after the delivery changed hands, on SQLite and PostgreSQL.

The fault suite's slow-platform scenario (``tests/faults``) found the case: the lease and the
lookup delay both ran out before Discord answered, a second claim found the delivery
``unknown`` (Discord cannot be asked), and the first worker's confirmation was thrown away.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.models import Delivery, DeliveryStatus
from scheduler.queue.claims import claim_due
from scheduler.queue.publishing import Outcome, fence, finish
from scheduler.queue.reaper import reap_expired
from tests import factories


def _claimed_again(session: Session, engine: Engine, tmp_path: Path) -> int:
    """A delivery fenced by "slow", reaped, and claimed by "next" for a lookup."""
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    factories.approved_post(session, production.id or 0, [account])
    session.commit()
    past, now = datetime.now(UTC) - timedelta(seconds=1), datetime.now(UTC)
    (delivery,) = claim_due(engine, now=now, owner="slow", limit=5, lease_until=past)
    fence(engine, ids=[delivery], owner="slow", lease_until=past)
    reap_expired(engine, now=datetime.now(UTC), lookup_at=now)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert claim_due(engine, now=datetime.now(UTC), owner="next", limit=5, lease_until=later)
    return delivery


def _unknown_after_a_second_claim(session: Session, engine: Engine, tmp_path: Path) -> int:
    """A delivery claimed again by "next" and found ``unknown`` by it (it cannot be asked)."""
    delivery = _claimed_again(session, engine, tmp_path)
    later = datetime.now(UTC) + timedelta(minutes=5)
    fence(engine, ids=[delivery], owner="next", lease_until=later)
    cannot_ask = Outcome(status=DeliveryStatus.unknown, error="the platform cannot be asked")
    assert finish(engine, delivery_id=delivery, owner="next", outcome=cannot_ask, actor="next")
    return delivery


def test_a_late_confirmation_lands_on_a_delivery_another_worker_left_unknown(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    delivery = _unknown_after_a_second_claim(session, engine, tmp_path)
    confirmed = Outcome(
        status=DeliveryStatus.published, external_id="m-1", published_at=datetime.now(UTC)
    )

    assert finish(engine, delivery_id=delivery, owner="slow", outcome=confirmed, actor="slow")

    row = session.exec(select(Delivery)).one()
    assert (row.status, row.external_id, row.needs_lookup) == ("published", "m-1", False)


def test_a_late_confirmation_lands_before_the_lookup_claimed_again_and_stops_it(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    """The second claim's message waits in the queue behind slow work; the first worker's
    answer comes meanwhile. It lands, and the second claim's fence then finds nothing to do."""
    delivery = _claimed_again(session, engine, tmp_path)
    confirmed = Outcome(
        status=DeliveryStatus.published, external_id="m-2", published_at=datetime.now(UTC)
    )

    assert finish(engine, delivery_id=delivery, owner="slow", outcome=confirmed, actor="slow")

    later = datetime.now(UTC) + timedelta(minutes=5)
    assert fence(engine, ids=[delivery], owner="next", lease_until=later) == []
    row = session.exec(select(Delivery)).one()
    assert (row.status, row.external_id, row.needs_lookup) == ("published", "m-2", False)


def test_a_late_answer_that_confirms_nothing_leaves_the_new_holders_outcome(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    delivery = _unknown_after_a_second_claim(session, engine, tmp_path)
    refused = Outcome(status=DeliveryStatus.failed, error="refused")

    assert not finish(engine, delivery_id=delivery, owner="slow", outcome=refused, actor="slow")

    row = session.exec(select(Delivery)).one()
    assert (row.status, row.last_error) == ("unknown", "the platform cannot be asked")
