"""Sending what the outbox queued: signed POSTs outside any transaction, retried with backoff.

``send_due`` (the scheduler's ``notify`` job) claims due rows the way ``scheduler.queue.claims``
claims deliveries: one ``UPDATE`` over a ``FOR UPDATE SKIP LOCKED`` selection on PostgreSQL,
under ``BEGIN IMMEDIATE`` on SQLite. The claim counts the attempt and moves
``next_attempt_at`` past a lease, then commits; the POSTs happen outside any transaction (a
slow receiver never holds a database lock). Each answer is recorded at once: ``sent``, or due
again after a doubling backoff, or ``failed`` after ``notify_max_attempts``. A sender that dies
mid-batch leaves its rows to be claimed again when the lease runs out, so a message may arrive
twice, never not at all; the ``Idempotency-Key`` header lets a receiver drop the repeat. A
receiver's error text is kept as plain text (an HTML page becomes its words), shortened, and
scrubbed of the hook's secret and URL. The client (``SchedulerService``) is built under the
egress policy: a hook whose name now points at a private address is refused at connect time
and ``failed`` at once, its host named, never its path or query.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, exists, select, update
from sqlmodel import SQLModel

from platforms.adapters.egress import EgressRefused
from platforms.adapters.http import plain_text, scrub
from platforms.adapters.webhook import sign
from scheduler.core.config import Settings, get_settings
from scheduler.core.models import NotificationStatus
from scheduler.core.vault import VaultError
from scheduler.notify.hooks import hook_target

log = logging.getLogger(__name__)

_ERROR_LIMIT = 500
_REMOVED = "the hook was removed"

_HOOK, _NOTIFICATION = (
    SQLModel.metadata.tables["notificationhook"],
    SQLModel.metadata.tables["notification"],
)
_hook, _n = _HOOK.c, _NOTIFICATION.c


@dataclass(frozen=True)
class SendReport:
    """What one ``send_due`` run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: int
    hook_id: int
    event: str
    payload: dict[str, Any]
    attempts: int


def send_due(
    engine: Engine, *, now: datetime, client: httpx.Client, settings: Settings | None = None
) -> SendReport:
    """Claim the notifications due at ``now``, POST each signed, and record every answer.

    ``now`` is machine time (a receiver's outage is measured in real seconds); tests pass a
    fixed one. The signature's timestamp is always the real clock's, because that is what a
    receiver checks it against.
    """
    settings = settings or get_settings()
    claimed = _claim(engine, now=now, settings=settings)
    if not claimed:
        return SendReport()
    hooks = _hooks(engine, {c.hook_id for c in claimed})
    counts = dict.fromkeys(NotificationStatus, 0)
    for item in claimed:
        hook = hooks.get(item.hook_id)
        error, final = _deliver(client, hook, item, settings) if hook else (_REMOVED, True)
        status = _record(engine, item, error=error, now=now, settings=settings, final=final)
        counts[status] += 1
        target = hook_target(hook.url) if hook else f"hook {item.hook_id}"
        if error is None:
            log.info("notification %d (%s) sent to %s", item.id, item.event, target)
        else:
            log.warning("notification %d to %s: %s (%s)", item.id, target, error, status.value)
    return SendReport(
        sent=counts[NotificationStatus.sent],
        retrying=counts[NotificationStatus.pending],
        failed=counts[NotificationStatus.failed],
    )


def _claim(engine: Engine, *, now: datetime, settings: Settings) -> list[_Claimed]:
    """Take due rows in one statement, counting the attempt; committed before any POST.

    The lease (``next_attempt_at`` pushed past the whole batch's timeouts) keeps another sender
    off them while this one works; if this one dies, they come due again when it ends.
    """
    lease = timedelta(seconds=settings.notify_timeout_seconds * settings.notify_batch + 60)
    active = exists(
        select(_hook.id).where(_hook.id == _n.hook_id, _hook.active.is_(True))
    ).correlate(_NOTIFICATION)
    pick = (
        select(_n.id)
        .where(_n.status == NotificationStatus.pending.value, _n.next_attempt_at <= now, active)
        .order_by(_n.next_attempt_at, _n.id)
        .limit(settings.notify_batch)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(_NOTIFICATION)
        .where(_n.id.in_(pick.scalar_subquery()))
        .values(attempts=_n.attempts + 1, next_attempt_at=now + lease)
        .returning(_n.id, _n.hook_id, _n.event, _n.payload, _n.attempts)
    )
    with engine.begin() as conn:
        rows = conn.execute(claim).all()
    return sorted((_Claimed(*row) for row in rows), key=lambda c: c.id)


@dataclass(frozen=True)
class _Hook:
    url: str
    sealed: str


def _hooks(engine: Engine, ids: set[int]) -> dict[int, _Hook]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(_hook.id, _hook.url, _hook.secret).where(
                _hook.id.in_(sorted(ids)), _hook.active.is_(True)
            )
        )
        return {row.id: _Hook(url=row.url, sealed=row.secret) for row in rows}


def _deliver(
    client: httpx.Client, hook: _Hook, item: _Claimed, settings: Settings
) -> tuple[str | None, bool]:
    """POST one notification, signed: (``None`` when the receiver took it, else why not;
    whether that is final). A refused address is final: nothing was sent, and no retry will
    change where the hook points."""
    try:
        secret = str(settings.vault().open(hook.sealed)["secret"])
    except (VaultError, KeyError):
        return "the hook's secret cannot be opened with CALLSHEET_SECRET_KEYS", False
    body = json.dumps(
        item.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"callsheet-notification-{item.id}",
        "X-Callsheet-Event": item.event,
        "X-Callsheet-Timestamp": timestamp,
        "X-Callsheet-Signature": sign(secret, timestamp, body),
    }
    try:
        answer = client.post(
            hook.url, content=body, headers=headers, timeout=settings.notify_timeout_seconds
        )
    except EgressRefused as exc:
        return f"not sent: {exc.message}", True
    except httpx.HTTPError as exc:
        return f"could not reach {hook_target(hook.url)} ({type(exc).__name__})", False
    if answer.is_success:
        return None, False
    said = scrub(plain_text(answer).replace(hook.url, "…"), [secret])
    return f"HTTP {answer.status_code}: {said}", False


def _record(
    engine: Engine,
    item: _Claimed,
    *,
    error: str | None,
    now: datetime,
    settings: Settings,
    final: bool,
) -> NotificationStatus:
    """Write one answer, only if this claim still holds the row (same attempt, pending)."""
    values: dict[str, Any]
    if error is None:
        status = NotificationStatus.sent
        values = {"sent_at": now}
    elif final or item.attempts >= settings.notify_max_attempts:
        status = NotificationStatus.failed
        values = {"last_error": error[:_ERROR_LIMIT]}
    else:
        status = NotificationStatus.pending
        delay = min(
            settings.notify_retry_base_seconds * 2 ** (item.attempts - 1),
            settings.notify_retry_max_seconds,
        )
        values = {
            "last_error": error[:_ERROR_LIMIT],
            "next_attempt_at": now + timedelta(seconds=delay),
        }
    with engine.begin() as conn:
        conn.execute(
            update(_NOTIFICATION)
            .where(
                _n.id == item.id,
                _n.attempts == item.attempts,
                _n.status == NotificationStatus.pending.value,
            )
            .values(status=status.value, **values)
        )
    return status
