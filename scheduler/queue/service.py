"""The scheduler service: an APScheduler process with jobs *tick*, *reap* and *notify*.

There is no APScheduler job per post and no Celery ETA: the delivery table is the queue. Each
tick claims what is due in one statement, commits, and only then sends Celery messages, so a
message never names a claim that could still roll back. If sending fails, the claim is given
back at once; if a message is lost later, the reaper takes the claim back when its lease ends.
Two or more scheduler processes are safe: claims are row-locked (PostgreSQL) or serialised
(SQLite). APScheduler's job store is in memory and never shared, as its FAQ requires.

*notify* sends the outgoing webhooks that changes queued in their own transactions
(``scheduler.notify.sending``); it runs apart from *tick*, so a slow receiver never delays a
post.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta
from itertools import count, islice

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from platforms.adapters.egress import egress_client
from scheduler.core.clock import Clock, machine_now
from scheduler.core.config import Settings
from scheduler.core.metrics import CLAIMED, REAPED
from scheduler.notify.sending import SendReport, send_due
from scheduler.queue.claims import claim_due, lease_deadline, release
from scheduler.queue.heartbeats import forget_gone
from scheduler.queue.messages import Sender
from scheduler.queue.reaper import reap_expired
from scheduler.queue.throttle import Throttle

log = logging.getLogger(__name__)


#: Claim statements per tick at most, so a huge backlog cannot starve the reaper.
MAX_CLAIMS_PER_TICK = 50
#: Characters of the hostname kept in a lease owner: with the pid, a random part and the claim
#: number it stays well inside ``Delivery.lease_owner`` (80), however long the host's name.
HOSTNAME_CHARS = 40


def service_name() -> str:
    """This scheduler's name, the prefix of its lease owners: host, pid, a random part.

    The hostname is only there for people reading the table, so it is cut short: containers
    can have names of 200 characters or more, and an owner longer than the column makes every
    claim fail on PostgreSQL. Uniqueness comes from the random part (and the pid), not the host.
    """
    return f"{socket.gethostname()[:HOSTNAME_CHARS]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerService:
    """Claims due deliveries and hands them to workers; reaps expired leases."""

    def __init__(self, *, engine: Engine, settings: Settings, clock: Clock, send: Sender) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.send = send
        self.name = service_name()
        self._claims = count(1)
        self._http: httpx.Client | None = None
        #: Accounts' publishing budgets, spent as deliveries are claimed (shared on Redis).
        self.throttle = Throttle.for_settings(settings)

    def tick(self) -> int:
        """Claim and dispatch everything due now; return how many deliveries were sent."""
        sent = 0
        for _ in range(MAX_CLAIMS_PER_TICK):
            owner = f"{self.name}:{next(self._claims)}"
            ids = claim_due(
                self.engine,
                now=self.clock.now(),
                owner=owner,
                limit=self.settings.claim_batch,
                lease_until=lease_deadline(machine_now(), self.settings.lease_seconds),
                throttle=self.throttle,
            )
            if not ids:
                break
            sent += self._dispatch(ids, owner)
            if len(ids) < self.settings.claim_batch:
                break
        CLAIMED.observe(sent)
        return sent

    def _dispatch(self, ids: list[int], owner: str) -> int:
        try:
            for batch in _batches(ids, self.settings.message_batch):
                self.send(batch, owner)
        except Exception:
            # Messages already sent are harmless: their deliveries are released back to
            # "scheduled", so the fence drops them and the next claim sends them again.
            returned = release(self.engine, owner=owner)
            log.exception("could not send claim %s; gave back %d deliveries", owner, returned)
            return 0
        log.info(
            "claim %s: %d deliveries sent to workers",
            owner,
            len(ids),
            extra={"claim": owner, "status": "claimed", "delivery_ids": ids},
        )
        return len(ids)

    def reap(self) -> None:
        """Take back leases that ran out.

        A publish that ran out becomes ``unknown``, to be looked up ``lookup_delay_seconds``
        from now (schedule time, like every due time): its worker may only be slow, and its
        answer (or its next progress step) should land before anyone asks the platform.
        Workers not heard from for a day are forgotten here too (``forget_gone``).
        """
        lookup_at = self.clock.now() + timedelta(seconds=self.settings.lookup_delay_seconds)
        reaped = reap_expired(self.engine, now=machine_now(), lookup_at=lookup_at)
        forget_gone(self.engine, now=machine_now())
        REAPED.labels("reclaimed").inc(len(reaped.reclaimed))
        REAPED.labels("unknown").inc(len(reaped.unknown))
        if reaped.reclaimed or reaped.unknown:
            log.warning(
                "reaper: %d claims taken back, %d publishes now unknown",
                len(reaped.reclaimed),
                len(reaped.unknown),
            )

    def notify(self) -> SendReport:
        """Send the notifications that are due (machine time: receivers' outages are real)."""
        if self._http is None:  # one client, so connections to a receiver are reused
            self._http = egress_client(
                allow_private=self.settings.allow_private_targets,
                require_https=self.settings.require_https,
                timeout=self.settings.notify_timeout_seconds,
            )
        return send_due(self.engine, now=machine_now(), client=self._http, settings=self.settings)

    def _schedule(self, scheduler: BaseScheduler) -> BaseScheduler:
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        scheduler.add_job(
            self.tick, "interval", seconds=self.settings.tick_seconds, id="tick", **common
        )
        scheduler.add_job(
            self.reap, "interval", seconds=self.settings.reap_seconds, id="reap", **common
        )
        scheduler.add_job(
            self.notify, "interval", seconds=self.settings.notify_seconds, id="notify", **common
        )
        return scheduler

    def run_forever(self) -> None:
        """Block, ticking, until interrupted (``callsheet scheduler``)."""
        log.info("scheduler %s ticking every %ss", self.name, self.settings.tick_seconds)
        self._schedule(BlockingScheduler(timezone="UTC")).start()

    def start_background(self) -> BaseScheduler:
        """Tick in a background thread (``callsheet demo`` and ``up``); caller shuts it down."""
        scheduler = self._schedule(BackgroundScheduler(timezone="UTC"))
        scheduler.start()
        return scheduler


def _batches(ids: Sequence[int], size: int) -> list[list[int]]:
    it = iter(ids)
    return list(iter(lambda: list(islice(it, size)), []))
