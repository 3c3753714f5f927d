"""Faults between Callsheet and the platforms: a post created, then the connection dropped; and
three schedulers claiming over one burst."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.control import SandboxControl
from tests.faults.harness import SCALE, Scenario

pytestmark = [pytest.mark.chaos, pytest.mark.redis]


def test_a_post_created_then_the_connection_dropped_is_never_sent_again(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """Every create is done and its answer never sent. Bluesky is asked and each post found;
    Discord cannot be asked, so each is ``unknown`` with its reason; none goes out twice."""
    world = scenario("created, then connection dropped")
    world.posts(6 * SCALE, world.accounts(bluesky=1 + SCALE // 2, webhook=0))
    sandbox.fault("bluesky", "drop_after_create", path="createRecord", times=10_000)
    sandbox.fault("discord", "drop_after_create", times=10_000)
    world.start_workers()
    world.go()
    world.start_schedulers()

    figures = world.check(settle_seconds=world.settle())

    discord = sum(1 for s in world.seen() if s.platform == "discord")
    assert figures.unknown == discord


def test_three_schedulers_over_one_burst_claim_each_delivery_once(
    scenario: Callable[..., Scenario], sandbox: SandboxControl
) -> None:
    """Three scheduler processes tick over the same burst, small claims each, two workers."""
    world = scenario("three schedulers", claim_batch=3)
    world.posts(15 * SCALE, world.accounts(bluesky=1 + SCALE // 2))
    world.start_workers(2)
    world.start_schedulers(3)
    world.go()

    world.check(settle_seconds=world.settle())
