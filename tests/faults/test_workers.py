"""Faults on the worker's side: workers killed mid-burst, a platform slower than the lease, and
the same Celery message delivered twice."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sandbox.control import SandboxControl
from scheduler.core.clock import Clock
from scheduler.queue.messages import celery_sender, create_celery
from scheduler.queue.service import SchedulerService
from tests.faults.harness import SCALE, Scenario

pytestmark = [pytest.mark.chaos, pytest.mark.redis]


def test_a_storm_of_worker_kills_loses_nothing_and_sends_nothing_twice(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """Workers are SIGKILLed while they publish, again and again, and replaced. What a killed
    worker never tried goes out later; what it had in hand is looked up on Bluesky and left
    ``unknown`` with its reason on Discord and the webhook, never sent blindly again."""
    world = scenario("worker SIGKILL storm", lease_seconds=2.0)
    bluesky = 1 + SCALE // 2
    world.posts(12 * SCALE, world.accounts(bluesky=bluesky))
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0.4, times=10_000)
    sandbox.fault("discord", "slow", delay=0.4, times=10_000)
    world.start_workers(2)
    world.go()
    world.start_schedulers()
    storm = 2 * SCALE

    def kill_while_publishing() -> None:
        publishing = any(s.status == "publishing" for s in world.seen())
        if world.kills < storm and publishing and sessions_open():
            world.kill_worker()

    def sessions_open() -> bool:
        """Every Bluesky account has posted once, so its session is kept: a kill during the
        first session's refresh strands the account's refresh lock for its whole timeout
        (``scheduler.accounts.keeper``, reported apart), which is not this scenario's fault."""
        return len({r["account"] for r in sandbox.records("bluesky")}) == bluesky

    seconds = world.settle(during=kill_while_publishing)

    assert world.kills >= 1, "the burst settled before any worker was killed"
    world.check(settle_seconds=seconds)


def test_a_platform_slower_than_the_lease_gets_each_post_once(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """Every create answers long after the lease ran out: the reaper takes the publish back,
    and the slow worker's answer still lands (or Bluesky's lookup finds the post), even where
    the delivery was re-claimed and found ``unknown`` meanwhile: all published, each once."""
    lease = 2.0
    world = scenario("platform slower than the lease", lease_seconds=lease)
    world.posts(6 * SCALE, world.accounts(bluesky=1 + SCALE // 2, webhook=0))
    sandbox.fault("bluesky", "slow", path="createRecord", delay=lease + 1.5, times=10_000)
    sandbox.fault("discord", "slow", delay=lease + 1.5, times=10_000)
    # Two workers: with one, under a loaded machine, re-claims of reaped deliveries queued
    # behind slow publishes faster than they drained, and the scenario could livelock (the
    # missing backpressure in docs/reliability.md's known gaps), which is not what it tests.
    world.start_workers(2)
    world.go()
    world.start_schedulers()

    # Every answer does come (late, but within the adapters' timeouts): none is lost, so an
    # ``unknown`` would be untrue. Wait for the late answers to land.
    seconds = world.settle(done=lambda seen: seen.status == "published")

    world.check(settle_seconds=seconds)


def test_the_same_message_delivered_twice_publishes_once(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """Every claim's Celery message is sent twice at once, to two workers, and once more after
    everything settled: the fence lets one copy through and the rest do nothing."""
    world = scenario("same message twice")
    world.posts(8 * SCALE, world.accounts(bluesky=1 + SCALE // 2))
    sandbox.fault("bluesky", "slow", path="createRecord", delay=0.2, times=10_000)
    sent: list[tuple[list[int], str]] = []
    send = celery_sender(create_celery(world.settings), world.settings.queue_name)

    def twice(ids: list[int], owner: str) -> None:
        sent.append((ids, owner))
        send(ids, owner)
        send(ids, owner)

    service = SchedulerService(
        engine=world.engine, settings=world.settings, clock=Clock(), send=twice
    )
    world.start_workers(2)
    world.go()

    def schedule() -> None:
        service.reap()
        service.tick()

    seconds = world.settle(during=schedule)
    for ids, owner in sent:  # the stale copy, long after: a no-op
        send(ids, owner)
    deadline = time.monotonic() + 60
    while world.tasks_done() < 3 * len(sent):
        assert time.monotonic() < deadline, world.tail()
        time.sleep(0.2)

    world.check(settle_seconds=seconds)
