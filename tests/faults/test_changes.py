"""People changing things while a batch is in a worker's hands: a pause, a milestone move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from sandbox.control import SandboxControl
from scheduler.core.models import PauseScope
from scheduler.planning.pauses import pause, resume
from scheduler.planning.schemas import PauseCreate
from scheduler.posts.reflow import move_milestone
from scheduler.posts.schemas import AnchorIn
from tests import factories
from tests.faults.harness import SCALE, Scenario

pytestmark = [pytest.mark.chaos, pytest.mark.redis]
IN_HAND = {"claimed", "publishing", "published"}


def test_a_pause_committed_mid_batch_stops_the_rest_of_the_batch(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """The whole burst is one Celery message, already in the worker, which publishes slowly.
    The production is paused after its first post went out: what the worker had not started
    must not go out, and goes out once (not lost) after the pause ends."""
    world = scenario("pause mid-batch", message_batch=50)
    world.posts(6 * SCALE, world.accounts(bluesky=1, discord=0, webhook=0))
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0.5, times=10_000)
    world.start_workers()
    world.go()
    world.start_schedulers()
    world.wait_for(lambda: bool(sandbox.records("bluesky")))

    with Session(world.engine) as session:
        data = PauseCreate(
            scope=PauseScope.production, production_id=world.production_id, reason="news"
        )
        stop = pause(session=session, data=data, actor="producer")
        session.commit()
        pause_id = stop.id or 0
    at_pause = world.seen()
    assert {s.status for s in at_pause} <= IN_HAND, "the batch was not in the worker's hands"
    # Nothing the worker holds is publishing any more: each delivery is out or given back.
    world.wait_for(lambda: {s.status for s in world.seen()} <= {"published", "scheduled"})
    withheld = {s.id for s in world.seen() if s.status == "scheduled"}
    assert withheld, "the batch finished before the pause: nothing was stopped"
    world.check(withheld=withheld, settle_seconds=0, record=False)

    with Session(world.engine) as session:
        resume(session=session, pause_id=pause_id, actor="producer")
        session.commit()
    world.check(settle_seconds=world.settle())


def test_a_milestone_moved_while_its_deliveries_publish(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """Posts hang off the premiere two seconds apart, the first due now, and Bluesky answers
    slowly. The premiere moves a week once the first post is out: what was in flight goes out
    once, what the move took is a week later and unsent, and nothing is both."""
    world = scenario("milestone moved mid-publish")
    now = datetime.now(UTC)
    with Session(world.engine) as session:
        premiere = factories.premiere(session, world.production_id, now)
        session.commit()

    def staggered(n: int) -> AnchorIn:
        return AnchorIn(milestone_id=premiere, offset=f"+PT{2 * n}S")

    world.posts(6 * SCALE, world.accounts(bluesky=1, webhook=0), anchor=staggered)
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0.5, times=10_000)
    world.start_workers()
    world.go()
    world.start_schedulers()
    world.wait_for(lambda: bool(world.reached()))

    with Session(world.engine) as session:
        moves = move_milestone(
            session=session,
            production_id=world.production_id,
            milestone_id=premiere,
            at=now + timedelta(weeks=1),
            tentative=None,
            actor="producer",
            now=datetime.now(UTC),
        )
        session.commit()
    moved = {m.delivery_id for m in moves if m.new_due_at > m.old_due_at}
    assert moved, "the burst was over before the move: nothing was moved"
    seconds = world.settle(withheld=moved)

    figures = world.check(withheld=moved, settle_seconds=seconds)
    assert figures.deliveries > len(moved), "nothing was in flight when the milestone moved"
