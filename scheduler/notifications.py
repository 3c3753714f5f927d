"""Outgoing notifications: signed webhooks that tell a team what needs a person.

Six events are told: a post ``submitted``, ``approved`` or ``rejected``; a delivery ``held``,
``failed`` or ``unknown`` (an account that needs reconnecting counts as ``held``). A hook
(``NotificationHook``) belongs to one production, or with no production hears them all.

**The outbox.** ``scheduler.audit.record_event`` calls ``enqueue`` for those actions, inside the
transaction of the change itself, and ``enqueue`` writes one ``Notification`` row per hook
that wants the event. So a change that rolls back leaves no notification, and a change that
commits always has its notifications: nothing is sent from inside a transaction, and nothing
is lost between a commit and a send. ``enqueue`` runs on the worker's hot path for held,
failed and unknown outcomes only; a published delivery pays nothing (its action is not in
``NOTIFY_ACTIONS``), and an event no hook wants costs one indexed query.

**Sending.** ``send_due`` (the scheduler's ``notify`` job) claims due rows the way
``scheduler.queue`` claims deliveries: one ``UPDATE`` over a ``FOR UPDATE SKIP LOCKED``
selection on PostgreSQL, under ``BEGIN IMMEDIATE`` on SQLite. The claim counts the attempt
and moves ``next_attempt_at`` past a lease, then commits; the POSTs happen outside any
transaction (a slow receiver never holds a database lock). Each answer is recorded at once:
``sent``, or due again after a doubling backoff, or ``failed`` after
``notify_max_attempts``. A sender that dies mid-batch leaves its rows to be claimed again
when the lease runs out, so a message may arrive twice, never not at all; the
``Idempotency-Key`` header lets a receiver drop the repeat.

**Secrets.** A hook's signing secret is sealed with the vault like an account's. A hook's URL
is often a secret too (a Slack webhook URL is its own credential), so answers and logs name a
hook by its host only (``hook_target``), and a receiver's error text is scrubbed of both.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine, and_, bindparam, exists, insert, or_, select, update
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as model_select

import scheduler.audit  # a module import: scheduler.audit imports this module too
from scheduler.config import Settings, get_settings
from scheduler.errors import Invalid, NotFound
from scheduler.models import (
    UNSENT,
    DeliveryStatus,
    Notification,
    NotificationHook,
    Production,
)
from scheduler.notification_text import Subject, message
from scheduler.vault import VaultError
from workers.adapters.webhook import MIN_SECRET_LENGTH, sign

log = logging.getLogger(__name__)


class NotifyEvent(StrEnum):
    """What a hook can hear."""

    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    held = "held"
    failed = "failed"
    unknown = "unknown"


class NotificationStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    sent = "sent"
    failed = "failed"  # given up: too many attempts, or its hook was removed


#: Audit actions that notify, and the event each one is.
EVENT_OF_ACTION: Mapping[str, NotifyEvent] = {
    "post.submitted": NotifyEvent.submitted,
    "post.approved": NotifyEvent.approved,
    "post.rejected": NotifyEvent.rejected,
    "delivery.held": NotifyEvent.held,
    "delivery.failed": NotifyEvent.failed,
    "delivery.unknown": NotifyEvent.unknown,
    "account.needs_reconnect": NotifyEvent.held,
}
#: ``record_event`` asks only this before calling ``enqueue``: the cheap test on the hot path.
NOTIFY_ACTIONS = frozenset(EVENT_OF_ACTION)

MESSAGE_LIMIT = 300
MAX_SECRET_LENGTH = 500
MAX_URL_LENGTH = 1000  # the column's size
_ERROR_LIMIT = 500

_T = SQLModel.metadata.tables
_HOOK, _NOTIFICATION = _T["notificationhook"], _T["notification"]
_POST, _DELIVERY, _ACCOUNT, _PRODUCTION = (
    _T["post"],
    _T["delivery"],
    _T["account"],
    _T["production"],
)
_hook, _n = _HOOK.c, _NOTIFICATION.c
_post, _delivery, _account, _production = _POST.c, _DELIVERY.c, _ACCOUNT.c, _PRODUCTION.c


# --- hooks --------------------------------------------------------------------------------


def create_hook(
    *,
    session: Session,
    production_id: int | None,
    url: str,
    secret: str,
    events: Sequence[str],
    actor: str,
) -> NotificationHook:
    """Add a hook for one production (or, with ``production_id`` ``None``, for all)."""
    checked_url = _check_url(url)
    checked_events = _check_events(events)
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise Invalid(
            "secret", f"must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters long"
        )
    if production_id is not None and session.get(Production, production_id) is None:
        raise NotFound("production", production_id)
    hook = NotificationHook(
        production_id=production_id,
        url=checked_url,
        secret=get_settings().vault().seal({"secret": secret}),
        events=checked_events,
        created_by=actor,
    )
    scheduler.audit.save_recorded(
        session,
        hook,
        actor=actor,
        action="notification_hook.created",
        after={"target": hook_target(checked_url), "events": checked_events},
    )
    return hook


def list_hooks(*, session: Session, production_id: int | None) -> list[NotificationHook]:
    """A production's active hooks (``None``: the global ones), oldest first."""
    query = (
        model_select(NotificationHook)
        .where(NotificationHook.production_id == production_id, col(NotificationHook.active))
        .order_by(col(NotificationHook.id))
    )
    return list(session.exec(query))


def remove_hook(*, session: Session, production_id: int | None, hook_id: int, actor: str) -> None:
    """Stop a hook; what it had not sent yet is marked failed (the log keeps its history).

    A hook is switched off rather than deleted: its delivery log refers to it, and "what did we
    tell that channel" should stay answerable. ``production_id`` must match, so one
    production's admin cannot remove another's hook by guessing its id.
    """
    hook = session.get(NotificationHook, hook_id)
    if hook is None or not hook.active or hook.production_id != production_id:
        raise NotFound("notification hook", hook_id)
    hook.active = False
    scheduler.audit.save_recorded(
        session,
        hook,
        actor=actor,
        action="notification_hook.removed",
        before={"target": hook_target(hook.url), "events": hook.events},
    )
    session.connection().execute(
        update(_NOTIFICATION)
        .where(_n.hook_id == hook_id, _n.status == NotificationStatus.pending.value)
        .values(status=NotificationStatus.failed.value, last_error="the hook was removed")
    )


def delivery_log(
    *,
    session: Session,
    production_id: int | None = None,
    everything: bool = False,
    status: NotificationStatus | None = None,
    limit: int = 100,
) -> list[Notification]:
    """Notifications, newest first: a production's hooks' (or, ``everything``, all of them)."""
    query = model_select(Notification)
    if not everything:
        own = model_select(NotificationHook.id).where(
            NotificationHook.production_id == production_id
        )
        query = query.where(col(Notification.hook_id).in_(own))
    if status is not None:
        query = query.where(Notification.status == status.value)
    return list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit)))


def hook_target(url: str) -> str:
    """How answers and logs name a hook: its scheme and host. The rest may be its credential."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return shown + "/…" if parts.path.strip("/") or parts.query else shown


def _check_url(url: str) -> str:
    """http(s) with a host, refused now rather than at the first event weeks later."""
    value = url.strip()
    if len(value) > MAX_URL_LENGTH:
        raise Invalid("url", f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(value)
    except httpx.InvalidURL:
        raise Invalid("url", "is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Invalid("url", "must be an http:// or https:// URL with a host")
    return value


def _check_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise Invalid("events", f"name at least one of {', '.join(NotifyEvent)}")
    unknown = sorted(set(events) - set(NotifyEvent))
    if unknown:
        raise Invalid(
            "events", f"unknown {', '.join(unknown)}; choose from {', '.join(NotifyEvent)}"
        )
    return [e.value for e in NotifyEvent if e.value in events]


# --- the outbox ---------------------------------------------------------------------------


def _wanted_by(production: Any) -> Any:
    """Active hooks of ``production`` and the global ones."""
    return and_(
        _hook.active.is_(True),
        or_(_hook.production_id.is_(None), _hook.production_id == production),
    )


_HOOK_COLUMNS = (_hook.id.label("hook_id"), _hook.events)
_FOR_POST = (
    select(
        *_HOOK_COLUMNS,
        _production.id.label("production_id"),
        _production.title,
        _post.id.label("post_id"),
        _post.pillar,
        _post.status,
    )
    .select_from(
        _POST.join(_PRODUCTION, _production.id == _post.production_id).join(
            _HOOK, _wanted_by(_production.id)
        )
    )
    .where(_post.id == bindparam("entity_id"))
)
_FOR_DELIVERY = (
    select(
        *_HOOK_COLUMNS,
        _production.id.label("production_id"),
        _production.title,
        _post.id.label("post_id"),
        _post.pillar,
        _delivery.id.label("delivery_id"),
        _delivery.status,
        _delivery.needs_lookup,
        _account.id.label("account_id"),
        _account.platform,
        _account.handle,
    )
    .select_from(
        _DELIVERY.join(_POST, _post.id == _delivery.post_id)
        .join(_PRODUCTION, _production.id == _post.production_id)
        .join(_ACCOUNT, _account.id == _delivery.account_id)
        .join(_HOOK, _wanted_by(_production.id))
    )
    .where(_delivery.id == bindparam("entity_id"))
)
#: An account serves many productions: tell the global hooks, and the hooks of every
#: production with posts still to go out on it.
_AFFECTED = (
    select(_post.production_id)
    .select_from(_DELIVERY.join(_POST, _post.id == _delivery.post_id))
    .where(
        _delivery.account_id == bindparam("entity_id"),
        _delivery.status.in_(
            [s.value for s in (*UNSENT, DeliveryStatus.claimed, DeliveryStatus.publishing)]
        ),
    )
)
_FOR_ACCOUNT = (
    select(
        *_HOOK_COLUMNS,
        _hook.production_id,
        _production.title,
        _account.id.label("account_id"),
        _account.platform,
        _account.handle,
        _account.needs_reconnect,
    )
    .select_from(
        _HOOK.join(_ACCOUNT, _account.id == bindparam("entity_id")).outerjoin(
            _PRODUCTION, _production.id == _hook.production_id
        )
    )
    .where(
        _hook.active.is_(True),
        or_(_hook.production_id.is_(None), _hook.production_id.in_(_AFFECTED)),
    )
)
_CONTEXT = {"post": _FOR_POST, "delivery": _FOR_DELIVERY, "account": _FOR_ACCOUNT}
_INSERT = insert(_NOTIFICATION)


def enqueue(
    conn: Connection,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    actor: str,
    reason: str | None,
    at: datetime,
) -> int:
    """Inside the change's transaction: one pending Notification per hook that wants it.

    One query finds the hooks together with what the message needs; a second writes the rows,
    only if some hook wants the event. Returns how many were queued.
    """
    event = EVENT_OF_ACTION.get(action)
    statement = _CONTEXT.get(entity)
    if event is None or statement is None or entity_id is None:
        return 0
    rows = [row for row in conn.execute(statement, {"entity_id": entity_id}) if event in row.events]
    if not rows:
        return 0
    queued = [
        {
            "hook_id": row.hook_id,
            "event": event.value,
            "payload": message(
                event=event,
                action=action,
                subject=_subject(row),
                actor=actor,
                # an account's event keeps its reason on the account row
                reason=reason or row._mapping.get("needs_reconnect"),
                at=at,
            ),
            "status": NotificationStatus.pending.value,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        for row in rows
    ]
    conn.execute(_INSERT, queued)
    return len(queued)


def _subject(row: Any) -> Subject:
    fields = row._mapping
    platform, handle = fields.get("platform"), fields.get("handle")
    return Subject(
        production_id=fields.get("production_id"),
        production_title=fields.get("title"),
        post_id=fields.get("post_id"),
        pillar=fields.get("pillar"),
        delivery_id=fields.get("delivery_id"),
        account_id=fields.get("account_id"),
        account=f"{platform} {handle}" if platform else None,
        status=fields.get("status"),
        needs_lookup=bool(fields.get("needs_lookup")),
    )


# --- sending ------------------------------------------------------------------------------


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
        error = _deliver(client, hook, item, settings) if hook else "the hook was removed"
        status = _record(engine, item, error=error, now=now, settings=settings, gone=hook is None)
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


def _deliver(client: httpx.Client, hook: _Hook, item: _Claimed, settings: Settings) -> str | None:
    """POST one notification, signed; ``None`` when the receiver took it, else why not."""
    try:
        secret = str(settings.vault().open(hook.sealed)["secret"])
    except (VaultError, KeyError):
        return "the hook's secret cannot be opened with CALLSHEET_SECRET_KEYS"
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
    except httpx.HTTPError as exc:
        return f"could not reach {hook_target(hook.url)} ({type(exc).__name__})"
    if answer.is_success:
        return None
    said = " ".join(answer.text.split()).replace(secret, "********").replace(hook.url, "…")
    if len(said) > MESSAGE_LIMIT:
        said = said[: MESSAGE_LIMIT - 1] + "…"
    return f"HTTP {answer.status_code}: {said or '(no message)'}"


def _record(
    engine: Engine,
    item: _Claimed,
    *,
    error: str | None,
    now: datetime,
    settings: Settings,
    gone: bool,
) -> NotificationStatus:
    """Write one answer, only if this claim still holds the row (same attempt, pending)."""
    values: dict[str, Any]
    if error is None:
        status = NotificationStatus.sent
        values = {"sent_at": now}
    elif gone or item.attempts >= settings.notify_max_attempts:
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
