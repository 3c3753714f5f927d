"""Publish one claimed batch: fence, re-render, check the approval, call the adapter, record.

Plain functions, tested without Celery. The order matters:

1. **Fence** each delivery just before its platform call (not the whole batch up front), so a
   duplicate or stale message, or a worker whose lease ran out, sends nothing; and progress
   saves re-check the hold, so a worker taken over mid-publish stops (``NotOwned``).
2. **Re-render and compare** with the approved hash, so an edit that slipped past review (or a
   template file changed on disk) holds the delivery instead of publishing unapproved words.
3. **Publish** with a deterministic idempotency key (same delivery and content, same key) and
   the post's creation time as ``keyed_at``, so platforms that honour keys drop a repeat and
   keys made from a time (Bluesky's) are the same on every attempt. A token is refreshed by
   one worker at a time per account (``scheduler.accounts.keeper``).
4. **Record** the outcome under the same owner; each outcome is audited in the same commit.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import httpx
from pydantic import ValidationError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from platforms.adapters.base import (
    Adapter,
    AuthExpired,
    NoProgress,
    Permanent,
    Progress,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
    Unknown,
)
from scheduler.accounts.connections import (
    build_account_adapter,
    mark_needs_reconnect,
    platform_client,
    store_credentials,
)
from scheduler.accounts.keeper import keeper_for
from scheduler.content.context import content_hash, render_delivery
from scheduler.content.render import RenderError
from scheduler.core.clock import Clock, machine_now
from scheduler.core.config import Settings
from scheduler.core.metrics import LATENESS, PUBLISH_SECONDS, SETTLED
from scheduler.core.models import (
    Account,
    Delivery,
    DeliveryStatus,
    HoldReason,
)
from scheduler.core.vault import VaultError
from scheduler.media.library import NotInStore, placed
from scheduler.queue.claims import release
from scheduler.queue.publishing import (
    DeliveryProgress,
    NotOwned,
    Outcome,
    bounded_actor,
    fence_one,
    finish,
)
from workers.jobs import Job, load_jobs

log = logging.getLogger(__name__)


def publish_batch(
    *,
    engine: Engine,
    delivery_ids: Sequence[int],
    owner: str,
    settings: Settings,
    clock: Clock,
    actor: str,
) -> dict[int, DeliveryStatus]:
    """Publish what this owner still holds of ``delivery_ids``, one at a time; each outcome.

    Each delivery is fenced on its own just before its platform call, with a lease of its own.
    The rest of the batch stays ``claimed`` meanwhile: if this worker is slower than the claim's
    lease, the reaper gives them back and another claim takes them, and the fence here then
    finds them gone and sends nothing; if this worker dies, they go back untried instead of
    becoming ``unknown`` (only the delivery in hand can be). A pause that came in since the
    claim fails the fence too: such a delivery is given back at once.
    """
    actor = bounded_actor(actor)
    jobs = [job for job in load_jobs(engine, delivery_ids) if _holds(job.delivery, owner)]
    given_back, dropped = 0, len(delivery_ids) - len(jobs)
    adapters: dict[int, Adapter | Outcome] = {}
    outcomes: dict[int, DeliveryStatus] = {}
    try:  # every request of the batch goes out under the egress policy (``platform_client``)
        with platform_client(settings) as http, engine.connect() as conn:
            for job in jobs:
                delivery_id = job.delivery.id or 0
                lease_until = machine_now() + timedelta(seconds=settings.lease_seconds)
                if not fence_one(
                    conn, delivery_id=delivery_id, owner=owner, lease_until=lease_until
                ):
                    # Paused since the claim: give it back now rather than when the lease ends.
                    # Taken back (or by a duplicate message): not this owner's, left alone.
                    if release(engine, owner=owner, ids=[delivery_id]):
                        given_back += 1
                        outcomes[delivery_id] = DeliveryStatus.scheduled
                    else:
                        dropped += 1
                    continue
                account_id = job.account.id or 0
                if account_id not in adapters:
                    adapters[account_id] = _adapter_for(job.account, settings, engine, http)
                adapter = adapters[account_id]
                if isinstance(adapter, Outcome):  # the account cannot publish: why, as an outcome
                    outcome = replace(adapter, needs_lookup=job.delivery.needs_lookup)
                else:
                    progress = DeliveryProgress(
                        conn, job.delivery, owner, lease_seconds=settings.lease_seconds
                    )
                    started = time.perf_counter()
                    try:
                        outcome = publish_one(
                            job, adapter, settings=settings, clock=clock, progress=progress
                        )
                    except NotOwned as exc:
                        # Its lease ran out mid-publish: whoever holds it now settles it.
                        log.warning("%s: %s; stopped without recording an outcome", owner, exc)
                        dropped += 1
                        continue
                    finally:  # a refreshed token is the account's, whoever holds the delivery
                        _store_credentials(conn, adapter, account_id, settings)
                    PUBLISH_SECONDS.labels(job.account.platform).observe(
                        time.perf_counter() - started
                    )
                if finish(conn, delivery_id=delivery_id, owner=owner, outcome=outcome, actor=actor):
                    outcomes[delivery_id] = outcome.status
                    _settled(job, outcome)
                if outcome.held_for is HoldReason.account:
                    with conn.begin():
                        reason = outcome.error or "the platform refused the credentials"
                        mark_needs_reconnect(
                            conn, account_id=account_id, reason=reason, actor=actor
                        )
    finally:
        for adapter in adapters.values():
            if isinstance(adapter, Adapter):
                adapter.close()
        if given_back or dropped:
            log.info(
                "%s: %d paused and given back, %d stale, duplicate or taken back: dropped",
                owner,
                given_back,
                dropped,
            )
    return outcomes


def _settled(job: Job, outcome: Outcome) -> None:
    """One log event per state a worker leaves a delivery in, with the ids a log pipeline
    joins on (never its text or a URL), and the attempt in the metrics."""
    platform = job.account.platform
    log.info(
        "delivery %s %s on %s",
        job.delivery.id,
        outcome.status.value,
        platform,
        extra={
            "delivery_id": job.delivery.id,
            "post_id": job.post.id,
            "account_id": job.account.id,
            "production_id": job.production.id,
            "platform": platform,
            "status": outcome.status.value,
            "attempt": job.delivery.attempt,
            **({"held_for": outcome.held_for.value} if outcome.held_for else {}),
        },
    )
    SETTLED.labels(platform, outcome.status.value).inc()
    if outcome.published_at is not None:
        late = (outcome.published_at - job.delivery.planned_at).total_seconds()
        LATENESS.labels(platform).observe(max(late, 0.0))


def _holds(delivery: Delivery, owner: str) -> bool:
    """Still claimed by ``owner`` when read: a duplicate or stale message stops here, cheaply.
    Only a first sieve; the fence decides, since the row can change after this read."""
    return delivery.status == DeliveryStatus.claimed and delivery.lease_owner == owner


def _adapter_for(
    account: Account, settings: Settings, engine: Engine, http: httpx.Client
) -> Adapter | Outcome:
    """The account's adapter, refreshing its token one worker at a time (``keeper_for``), or
    the hold that says why it cannot have one."""
    if account.needs_reconnect:
        return _account_hold(account.needs_reconnect)
    try:
        adapter = build_account_adapter(account, settings, client=http)
    except (ValidationError, VaultError) as exc:
        log.warning("account %s cannot be used: %s", account.id, type(exc).__name__)
        return _account_hold(f"its stored settings are not usable ({type(exc).__name__})")
    adapter.keep_credentials_with(keeper_for(engine, account.id or 0, settings))
    return adapter


def _account_hold(reason: str) -> Outcome:
    return Outcome(
        status=DeliveryStatus.held,
        held_for=HoldReason.account,
        error=f"the account needs reconnecting: {reason}",
    )


def _store_credentials(
    conn: Connection, adapter: Adapter, account_id: int, settings: Settings
) -> None:
    """Seal what the adapter changed outside a refresh (its keeper seals each refresh)."""
    changes = adapter.take_changes()
    if changes:
        with conn.begin():
            store_credentials(conn, account_id=account_id, changes=changes, settings=settings)


def publish_one(
    job: Job,
    adapter: Adapter,
    *,
    settings: Settings,
    clock: Clock,
    progress: Progress | None = None,
) -> Outcome:
    """Render, check against the approval, look up if needed, publish; answer as an Outcome.

    A delivery whose last answer was lost (``needs_lookup``) is looked up on the platform
    first: found, it is published (with the platform's id); certainly absent, it is sent; if
    the platform cannot tell, a person decides. The flag stays on every other outcome (a
    hold, a rate limit), so nothing is ever sent again before it was looked up.
    """
    held = DeliveryStatus.held
    look_first = job.delivery.needs_lookup
    try:
        rendered = render_delivery(
            production=job.production,
            milestone=job.milestone,
            account=job.account,
            post=job.post,
            due_at=job.delivery.planned_at,
        )
    except RenderError as exc:
        return Outcome(
            status=held,
            error=f"rendering failed: {exc.message}",
            held_for=HoldReason.content,
            needs_lookup=look_first,
        )
    digest = content_hash(rendered, job.account)
    approved = job.approval.delivery_hashes.get(str(job.delivery.id)) if job.approval else None
    if approved != digest:
        return Outcome(
            status=held,
            held_for=HoldReason.content,
            error=(
                "the rendered content (its text, or the bytes of a media file) differs from "
                "what was approved; it needs a new approval"
            ),
            needs_lookup=look_first,
        )
    try:
        media = placed(
            rendered.media,
            uploads=job.uploads,
            production_id=job.post.production_id,
            root=settings.media_root,
        )
    except NotInStore as exc:
        return Outcome(
            status=held, held_for=HoldReason.content, error=str(exc), needs_lookup=look_first
        )
    request = PublishRequest(
        idempotency_key=f"callsheet-{job.delivery.id}-{digest[:16]}",
        text=rendered.text,
        account_handle=job.account.handle,
        media=media,
        metadata={
            "delivery_id": job.delivery.id,
            "post_id": job.post.id,
            "production": job.production.title,
            "pillar": job.post.pillar,
        },
        progress=progress or NoProgress(job.delivery.platform_state),
        keyed_at=job.post.created_at,
    )
    try:
        adapter.prepare(machine_now())
        if look_first:
            if not adapter.can_lookup:
                return Outcome(
                    status=DeliveryStatus.unknown,
                    error=(
                        f"the last answer from {adapter.name} was lost and {adapter.name} cannot "
                        "be asked whether the post exists: check the account, then retry or "
                        "mark it published"
                    ),
                )
            found = adapter.lookup(request)
            if found is not None:
                log.info(
                    "delivery %s was found on %s after its answer was lost; not sent again",
                    job.delivery.id,
                    adapter.name,
                )
                return _published(found, clock)
            look_first = False  # certainly not there: sending is safe
        return _published(adapter.publish(request), clock)
    except RateLimited as exc:
        later = clock.now() + timedelta(seconds=exc.retry_after)
        return Outcome(
            status=DeliveryStatus.retrying, error=exc.message, due_at=later, needs_lookup=look_first
        )
    except Transient as exc:
        return _retry_or_fail(
            job.delivery.attempt, exc.message, settings=settings, clock=clock, look_first=look_first
        )
    except AuthExpired as exc:
        return Outcome(
            status=held,
            error=f"the account needs reconnecting: {exc.message}",
            held_for=HoldReason.account,
            needs_lookup=look_first,
        )
    except Permanent as exc:
        if look_first:  # the lookup was refused: whether the post exists is still open
            return Outcome(status=DeliveryStatus.unknown, error=exc.message)
        return Outcome(status=DeliveryStatus.failed, error=exc.message)
    except Unknown as exc:
        return _lost(exc.message, adapter, settings=settings, clock=clock)
    except (NotOwned, SQLAlchemyError):  # taken back, or the database lost under a save: stop
        raise  # as if dead, recording nothing; the reaper and the lookup settle it, not a person
    except Exception as exc:  # an adapter bug: it may have sent something, so never retry
        log.exception("adapter %s raised unexpectedly", adapter.name)
        return Outcome(
            status=DeliveryStatus.unknown,
            error=f"unexpected {type(exc).__name__} in the {adapter.name} adapter",
        )


def _published(result: PublishResult, clock: Clock) -> Outcome:
    return Outcome(
        status=DeliveryStatus.published,
        external_id=result.external_id,
        external_url=result.url,
        published_at=clock.now(),
    )


def _lost(message: str, adapter: Adapter, *, settings: Settings, clock: Clock) -> Outcome:
    """The answer was lost: look the post up later if the platform can say, else a person."""
    if not adapter.can_lookup:
        return Outcome(status=DeliveryStatus.unknown, error=message)
    return Outcome(
        status=DeliveryStatus.unknown,
        error=f"{message}; Callsheet will ask {adapter.name} before sending again",
        needs_lookup=True,
        due_at=clock.now() + timedelta(seconds=settings.lookup_delay_seconds),
    )


def _retry_or_fail(
    attempt: int, message: str, *, settings: Settings, clock: Clock, look_first: bool = False
) -> Outcome:
    """Retry with backoff; after ``max_attempts``, fail (or, if a lookup is owed, ask a person)."""
    if attempt >= settings.max_attempts:
        gave_up = f"{message} (gave up after {attempt} attempts)"
        if look_first:  # it may exist: failed would be a lie
            return Outcome(status=DeliveryStatus.unknown, error=gave_up)
        return Outcome(status=DeliveryStatus.failed, error=gave_up)
    return Outcome(
        status=DeliveryStatus.retrying,
        error=message,
        due_at=clock.now() + timedelta(seconds=backoff(attempt, settings)),
        needs_lookup=look_first,
    )


def backoff(attempt: int, settings: Settings) -> float:
    """Seconds before retry number ``attempt``: doubling from the base, capped, 10% jitter."""
    base = min(settings.retry_base_seconds * 2.0 ** (attempt - 1), settings.retry_max_seconds)
    return base * (1 + random.random() / 10)  # noqa: S311 - spreading retries, not security
