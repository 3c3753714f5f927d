"""Pause and resume a production, an account, or everything (the kill switch).

A pause is a row, and the claim statement itself refuses deliveries an active pause covers, so
once the pause commits no scheduler can claim them. A worker that already holds one re-checks
just before publishing and gives it back, so a batch in progress stops too.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import Account, Pause, PauseScope, Production, utcnow
from scheduler.events.record import save_recorded
from scheduler.planning.schemas import PauseCreate


def _target(session: Session, data: PauseCreate) -> tuple[int | None, int | None]:
    """Check the scope names exactly the thing it pauses; return (production_id, account_id)."""
    if data.scope is PauseScope.all:
        if data.production_id is not None or data.account_id is not None:
            raise Invalid("scope", "pausing everything takes no production_id or account_id")
        return None, None
    if data.scope is PauseScope.production:
        if data.production_id is None or session.get(Production, data.production_id) is None:
            raise Invalid("production_id", f"no production with id {data.production_id}")
        return data.production_id, None
    if data.account_id is None or session.get(Account, data.account_id) is None:
        raise Invalid("account_id", f"no account with id {data.account_id}")
    return None, data.account_id


def pause(*, session: Session, data: PauseCreate, actor: str) -> Pause:
    """Start a pause; a second pause of the same thing is a 409 naming the first."""
    production_id, account_id = _target(session, data)
    existing = session.exec(
        select(Pause).where(
            col(Pause.resumed_at).is_(None),
            Pause.scope == data.scope.value,
            Pause.production_id == production_id,
            Pause.account_id == account_id,
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"scope: already paused by {existing.paused_by} since "
            f"{existing.paused_at:%Y-%m-%d %H:%M} UTC: {existing.reason}"
        )
    row = Pause(
        scope=data.scope.value,
        production_id=production_id,
        account_id=account_id,
        reason=data.reason,
        paused_by=actor,
    )
    save_recorded(
        session, row, actor=actor, action="pause.started", after=data.model_dump(mode="json")
    )
    return row


def resume(*, session: Session, pause_id: int, actor: str) -> Pause:
    """End a pause; deliveries it held back are claimed again from the next tick."""
    row = session.get(Pause, pause_id)
    if row is None:
        raise NotFound("pause", pause_id)
    if row.resumed_at is not None:
        raise Conflict(f"pause {pause_id} was already resumed by {row.resumed_by}")
    row.resumed_at = utcnow()
    row.resumed_by = actor
    save_recorded(session, row, actor=actor, action="pause.ended", reason=row.reason)
    return row


def list_pauses(*, session: Session, active_only: bool = True) -> list[Pause]:
    """Pauses, newest first; by default only those still in force."""
    query = select(Pause).order_by(col(Pause.id).desc())
    if active_only:
        query = query.where(col(Pause.resumed_at).is_(None))
    return list(session.exec(query))
