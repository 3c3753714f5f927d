"""The outbox: the notifications an audited change calls for, queued in its own transaction.

Six events are told: a post ``submitted``, ``approved`` or ``rejected``; a delivery ``held``,
``failed`` or ``unknown`` (an account that needs reconnecting counts as ``held``; a post whose
approval expired and went back to review counts as ``submitted``, "needs review").
``scheduler.events.record.record_event`` calls ``enqueue`` for those actions, and ``enqueue``
writes one ``Notification`` row per hook that wants the event. So a change that rolls back
leaves no notification, and a change that commits always has its notifications: nothing is sent
from inside a transaction, and nothing is lost between a commit and a send
(``scheduler.notify.sending`` sends them). ``enqueue`` runs on the worker's hot path for held,
failed and unknown outcomes only; a published delivery pays nothing (its action is not in
``NOTIFY_ACTIONS``), and an event no hook wants costs one indexed query.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select
from sqlmodel import SQLModel

from scheduler.core.models import UNSENT, DeliveryStatus, NotificationStatus
from scheduler.events.wording import Subject, message


class NotifyEvent(StrEnum):
    """What a hook can hear."""

    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    held = "held"
    failed = "failed"
    unknown = "unknown"


#: Audit actions that notify, and the event each one is.
EVENT_OF_ACTION: Mapping[str, NotifyEvent] = {
    "post.submitted": NotifyEvent.submitted,
    "post.approved": NotifyEvent.approved,
    "post.rejected": NotifyEvent.rejected,
    # a stale approval sent back to review (``scheduler.review.expiry``) needs review again:
    # every hook that hears review requests is told, with the reason; ``action`` tells them apart
    "post.approval_expired": NotifyEvent.submitted,
    "delivery.held": NotifyEvent.held,
    "delivery.failed": NotifyEvent.failed,
    "delivery.unknown": NotifyEvent.unknown,
    "account.needs_reconnect": NotifyEvent.held,
}
#: ``record_event`` asks only this before calling ``enqueue``: the cheap test on the hot path.
NOTIFY_ACTIONS = frozenset(EVENT_OF_ACTION)

_T = SQLModel.metadata.tables
_HOOK, _NOTIFICATION = _T["notificationhook"], _T["notification"]
_POST, _DELIVERY, _ACCOUNT, _PRODUCTION = (
    _T["post"],
    _T["delivery"],
    _T["account"],
    _T["production"],
)
_hook = _HOOK.c
_post, _delivery, _account, _production = _POST.c, _DELIVERY.c, _ACCOUNT.c, _PRODUCTION.c


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
