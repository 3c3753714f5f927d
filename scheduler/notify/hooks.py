"""Notification hooks: where a team hears what needs a person, and the log of what it was told.

A hook (``NotificationHook``) belongs to one production, or with no production hears them all.
Its signing secret is sealed with the vault like an account's. Its URL is often a secret too (a
Slack webhook URL is its own credential), so answers and logs name a hook by its host only
(``hook_target``).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as model_select

from platforms.adapters.egress import check_url
from platforms.adapters.webhook import MIN_SECRET_LENGTH
from scheduler.core.config import get_settings
from scheduler.core.errors import Invalid, NotFound
from scheduler.core.models import Notification, NotificationHook, NotificationStatus, Production
from scheduler.events.outbox import NotifyEvent
from scheduler.events.record import save_recorded

MAX_SECRET_LENGTH = 500
MAX_URL_LENGTH = 1000  # the column's size

_NOTIFICATION = SQLModel.metadata.tables["notification"]
_n = _NOTIFICATION.c


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
    checked_url = check_target(url)
    checked_events = _check_events(events)
    _check_secret(secret)
    if production_id is not None and session.get(Production, production_id) is None:
        raise NotFound("production", production_id)
    hook = NotificationHook(
        production_id=production_id,
        url=checked_url,
        secret=get_settings().vault().seal({"secret": secret}),
        events=checked_events,
        created_by=actor,
    )
    save_recorded(
        session,
        hook,
        actor=actor,
        action="notification_hook.created",
        after={"target": hook_target(checked_url), "events": checked_events},
    )
    return hook


def edit_hook(
    *,
    session: Session,
    production_id: int | None,
    hook_id: int,
    url: str | None = None,
    events: Sequence[str] | None = None,
    secret: str | None = None,
    actor: str,
) -> NotificationHook:
    """Change a hook's URL, events or signing secret (only those given), checked as when it
    was added; the audit names the target by host and says whether the secret was rotated,
    never what it is. Messages not yet sent go to the new URL, signed with the new secret:
    the sender reads the hook when it sends. ``production_id`` must match, as for removal."""
    hook = session.get(NotificationHook, hook_id, with_for_update=True)
    if hook is None or not hook.active or hook.production_id != production_id:
        raise NotFound("notification hook", hook_id)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    if url is not None:
        checked_url = check_target(url)
        if checked_url != hook.url:
            before["target"], after["target"] = hook_target(hook.url), hook_target(checked_url)
            hook.url = checked_url
    if events is not None:
        checked_events = _check_events(events)
        if checked_events != hook.events:
            before["events"], after["events"] = hook.events, checked_events
            hook.events = checked_events
    if secret is not None:
        _check_secret(secret)
        hook.secret = get_settings().vault().seal({"secret": secret})
        after["secret_rotated"] = True
    if after:
        save_recorded(
            session,
            hook,
            actor=actor,
            action="notification_hook.changed",
            before=before,
            after=after,
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
    save_recorded(
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


def check_target(url: str, *, field: str = "url") -> str:
    """A URL Callsheet may send to (``platforms.adapters.egress``), refused now rather than at
    the first event weeks later (a 422 naming ``field``); the sender checks the address again
    when it connects. A talent's own hook is checked here too."""
    value = url.strip()
    if len(value) > MAX_URL_LENGTH:
        raise Invalid(field, f"must be at most {MAX_URL_LENGTH} characters")
    settings = get_settings()
    try:
        return check_url(
            value,
            allow_private=settings.allow_private_targets,
            require_https=settings.require_https,
        )
    except ValueError as exc:
        raise Invalid(field, str(exc)) from None


def _check_secret(secret: str) -> None:
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise Invalid(
            "secret", f"must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters long"
        )


def _check_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise Invalid("events", f"name at least one of {', '.join(NotifyEvent)}")
    unknown = sorted(set(events) - set(NotifyEvent))
    if unknown:
        raise Invalid(
            "events", f"unknown {', '.join(unknown)}; choose from {', '.join(NotifyEvent)}"
        )
    return [e.value for e in NotifyEvent if e.value in events]
