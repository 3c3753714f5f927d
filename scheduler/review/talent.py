"""The talent roster: the cast and crew a production's posts may feature.

Talent are not Callsheet users: a roster entry is a name, a handle, where to send them a
sign-off link (their email, or a hook of their choice), and whether their sign-off is required
(``sign_off_required``). A hook URL is often its own credential (a chat webhook), so it is
checked by the egress policy when saved, sealed with the vault, and shown, audited and logged
by its host only (``hook_target``). Sign-off itself, what it binds and who still blocks
approval, is ``scheduler.review.signoffs``; answering through a link is
``scheduler.review.link_pages``. Apart because a roster is kept per production, whatever any
post asks of it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from scheduler.core.config import get_settings
from scheduler.core.errors import NotFound
from scheduler.core.models import Talent
from scheduler.events.record import save_recorded
from scheduler.notify.hooks import check_target, hook_target
from scheduler.planning.productions import get_production
from scheduler.review.schemas import TalentCreate, TalentUpdate


def add_talent(*, session: Session, production_id: int, data: TalentCreate, actor: str) -> Talent:
    """Add someone posts of this production may feature."""
    get_production(session=session, production_id=production_id)
    talent = Talent(
        production_id=production_id,
        name=data.name,
        handle=data.handle,
        email=str(data.email).lower() if data.email else None,
        sign_off_required=data.sign_off_required,
    )
    _set_hook(talent, data.hook_url)
    save_recorded(session, talent, actor=actor, action="talent.added", after=_shown(talent))
    return talent


def update_talent(
    *, session: Session, production_id: int, talent_id: int, data: TalentUpdate, actor: str
) -> Talent:
    """Change what the roster says of someone: the fields given, ``null`` clearing one."""
    talent = session.get(Talent, talent_id)
    if talent is None or talent.production_id != production_id:
        raise NotFound("talent", talent_id)
    before = _shown(talent)
    given = data.model_fields_set
    if "name" in given and data.name is not None:
        talent.name = data.name
    if "handle" in given:
        talent.handle = data.handle
    if "email" in given:
        talent.email = str(data.email).lower() if data.email else None
    if "hook_url" in given:
        _set_hook(talent, data.hook_url)
    if "sign_off_required" in given and data.sign_off_required is not None:
        talent.sign_off_required = data.sign_off_required
    save_recorded(
        session, talent, actor=actor, action="talent.changed", before=before, after=_shown(talent)
    )
    return talent


def list_talent(*, session: Session, production_id: int) -> list[Talent]:
    get_production(session=session, production_id=production_id)
    query = select(Talent).where(Talent.production_id == production_id).order_by(col(Talent.id))
    return list(session.exec(query))


def _set_hook(talent: Talent, url: str | None) -> None:
    """Check, seal and set (or, with ``None`` or blank, clear) the talent's hook."""
    if url is None or not url.strip():
        talent.hook_sealed = talent.hook_target = None
        return
    checked = check_target(url, field="hook_url")
    talent.hook_sealed = get_settings().vault().seal({"url": checked})
    talent.hook_target = hook_target(checked)


def _shown(talent: Talent) -> dict[str, Any]:
    """The roster entry as the audit trail keeps it: the hook by its host only."""
    return {
        "name": talent.name,
        "handle": talent.handle,
        "email": talent.email,
        "hook": talent.hook_target,
        "sign_off_required": talent.sign_off_required,
    }
