"""Changing an account a person connected: its handle, its readable settings, its audience's
timezone and quiet hours. Secrets change only through reconnecting (``connections``).

What changes for deliveries already approved:

- The handle is part of what a reviewer approved: every delivery's content hash names its
  account as ``platform:handle`` (``scheduler.content.context.target_of``), and templates may
  print it. A delivery approved under the old handle would be held at publish time as
  "no longer matches the approval", long after the person who renamed it has gone. So the
  rename unbinds them now, in its own transaction: each unsent delivery of the account bound
  to an approval goes back to ``pending``, and its post back to review in a new round (a new
  version, as a milestone move does), its ``review_note`` naming the old and new handle. The
  answer says which posts went back.
- Quiet hours and the audience's timezone shape planning, not publishing: they move a due time
  when a post is planned, edited or its milestone moves (``scheduler.planning.windows``), and
  no gate reads them at claim time (``scheduler.queue.gates``). Changing them moves nothing
  already planned: an approved delivery keeps the time (and the words, ``{{ due }}``) its
  reviewer saw. Posts planned or moved afterwards follow the new hours.
- Readable settings (an API's base URL, a feed's path) change how the worker reaches the
  platform, not what is sent; they are validated as a whole by the adapter, every URL through
  the egress policy, exactly as when the account was connected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, SQLModel
from sqlmodel import select as select_models

from scheduler.accounts.connections import (
    checked_settings,
    is_secret,
    platform_adapter,
    split_settings,
)
from scheduler.accounts.schemas import AccountEdit
from scheduler.core.config import get_settings
from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import UNSENT, Account, DeliveryStatus, PostStatus, utcnow
from scheduler.events.record import record_event, save_recorded
from scheduler.planning.timeline import zone

_delivery = SQLModel.metadata.tables["delivery"]
_post = SQLModel.metadata.tables["post"]
#: Deliveries a rename unbinds: not sent, bound to an approval (a claimed one is in a
#: worker's hands but not yet fenced: unbinding it makes the fence find nothing).
_BOUND = [s.value for s in UNSENT if s != DeliveryStatus.pending] + [DeliveryStatus.claimed.value]


@dataclass
class AccountChanged:
    """An edited account, and the posts its rename sent back to review (by id)."""

    account: Account
    back_to_review: list[int] = field(default_factory=list)


def account_in_use(session: Session, account_id: int, *, lock: bool = False) -> Account:
    """The account, if it was not removed; 404 otherwise."""
    query = select_models(Account).where(Account.id == account_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    account = session.exec(query).first()
    if account is None or account.removed_at is not None:
        raise NotFound("account", account_id)
    return account


def edit_account(
    *, session: Session, account_id: int, data: AccountEdit, actor: str
) -> AccountChanged:
    """Change the fields ``data`` gives (only those), validated as when connecting; audited
    with what changed (setting names only: a readable setting may still be a URL with a key).
    """
    account = account_in_use(session, account_id, lock=True)
    given = data.model_dump(exclude_unset=True)
    changed: dict[str, tuple[Any, Any]] = {}
    if "handle" in given:
        handle = _handle(session, account, given["handle"])
        if handle != account.handle:
            changed["handle"] = (account.handle, handle)
    if "settings" in given:
        plain = _readable_settings(account, given["settings"])
        if plain != account.settings:
            names = sorted(
                k for k in {*plain, *account.settings} if plain.get(k) != account.settings.get(k)
            )
            changed["settings"] = (names, plain)
    if "audience_timezone" in given:
        tz = given["audience_timezone"]
        if tz is not None:
            zone(tz, field="audience_timezone")
        if tz != account.audience_timezone:
            changed["audience_timezone"] = (account.audience_timezone, tz)
    start, end = _quiet_hours(account, given)
    if (start, end) != (account.quiet_start, account.quiet_end):
        changed["quiet_start"] = (account.quiet_start, start)
        changed["quiet_end"] = (account.quiet_end, end)
    if not changed:
        return AccountChanged(account)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, (old, new) in changed.items():
        if name == "settings":
            after["settings"] = old  # the names of the settings that changed
            account.settings = new
            continue
        before[name], after[name] = _shown(old), _shown(new)
        setattr(account, name, new)
    save_recorded(
        session, account, actor=actor, action="account.changed", before=before, after=after
    )
    back: list[int] = []
    if "handle" in changed:
        back = _back_to_review(session, account, *changed["handle"], actor=actor)
    return AccountChanged(account, back)


def _handle(session: Session, account: Account, handle: Any) -> str:
    if handle is None:
        raise Invalid("handle", "may not be null; leave it out to keep the current handle")
    taken = session.exec(
        select_models(Account.id).where(
            Account.platform == account.platform,
            Account.handle == handle,
            Account.id != account.id,
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"handle: {account.platform} account {handle} exists already (account {taken})"
        )
    return str(handle)


def _readable_settings(account: Account, given: dict[str, Any] | None) -> dict[str, Any]:
    """The account's readable settings with ``given`` merged over them (a null drops one back
    to its default), the whole checked by the adapter with the stored secrets."""
    if given is None:
        raise Invalid("settings", "may not be null; leave it out to keep the current settings")
    adapter = platform_adapter(account.platform)
    fields = adapter.settings_model.model_fields
    for name in given:
        if name in fields and is_secret(fields[name]):
            raise Invalid(
                f"settings.{name}",
                f"a secret; change it with PUT /accounts/{account.id}/credentials",
            )
    merged = {**account.settings, **given}
    merged = {name: value for name, value in merged.items() if value is not None}
    secrets = get_settings().vault().open(account.secrets) if account.secrets else {}
    whole = {**merged, **secrets}
    plain, _secret = split_settings(checked_settings(adapter, whole), whole)
    return plain


def _quiet_hours(account: Account, given: dict[str, Any]) -> tuple[time | None, time | None]:
    """The quiet hours after the change: both ends, or neither, and not the same time."""
    start = given.get("quiet_start", account.quiet_start)
    end = given.get("quiet_end", account.quiet_end)
    if (start is None) != (end is None):
        raise Invalid(
            "quiet_end" if end is None else "quiet_start",
            "give both ends of the quiet hours, or neither (null for both clears them)",
        )
    if start is not None and start == end:
        raise Invalid("quiet_end", "quiet hours must end at another time than they start")
    return start, end


def _shown(value: Any) -> Any:
    return value.isoformat(timespec="minutes") if isinstance(value, time) else value


def _back_to_review(
    session: Session, account: Account, old: str, new: str, *, actor: str
) -> list[int]:
    """Unbind the account's approved, unsent deliveries; their posts go back to review."""
    session.flush()
    conn = session.connection()
    d, p = _delivery.c, _post.c
    note = f"the account {account.platform}:{old} is now {new}; approve it again"
    post_ids = sorted(
        set(
            conn.execute(
                select(d.post_id).where(
                    d.account_id == account.id,
                    d.status.in_(_BOUND),
                    d.approval_id.is_not(None),
                )
            ).scalars()
        )
    )
    if not post_ids:
        return []
    # Posts first, then deliveries: the order every edit and approval takes its locks in.
    conn.execute(select(p.id).where(p.id.in_(post_ids)).order_by(p.id).with_for_update())
    stamp = utcnow()
    unbound = conn.execute(
        update(_delivery)
        .where(d.account_id == account.id, d.status.in_(_BOUND), d.approval_id.is_not(None))
        .values(
            status=DeliveryStatus.pending.value,
            approval_id=None,
            held_for=None,
            lease_owner=None,
            lease_until=None,
            last_error=note,
            updated_at=stamp,
        )
        .returning(d.id, d.post_id)
    ).all()
    conn.execute(
        update(_post)
        .where(p.id.in_(post_ids), p.status == PostStatus.approved.value)
        .values(
            status=PostStatus.in_review.value,
            version=p.version + 1,  # a new review round, as after a milestone move
            review_note=f"back to review: {note}",
            updated_at=stamp,
        )
    )
    for post_id in post_ids:
        record_event(
            conn,
            actor=actor,
            action="post.back_to_review",
            entity="post",
            entity_id=post_id,
            after={"deliveries": sorted(row.id for row in unbound if row.post_id == post_id)},
            reason=note,
        )
    session.expire_all()
    return post_ids
