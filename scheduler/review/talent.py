"""The talent roster: the cast and crew a production's posts may feature.

Talent are not Callsheet users: a roster entry is a name, a handle, an address to send a link
to, and whether their sign-off is required (``sign_off_required``). Sign-off itself, what it
binds and who still blocks approval, is ``scheduler.review.signoffs``; answering through a link
is ``scheduler.review.link_pages``. Apart because a roster is kept per production, whatever any
post asks of it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from scheduler.core.models import Talent
from scheduler.events.record import save_recorded
from scheduler.planning.productions import get_production
from scheduler.review.schemas import TalentCreate


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
    save_recorded(
        session, talent, actor=actor, action="talent.added", after=data.model_dump(mode="json")
    )
    return talent


def list_talent(*, session: Session, production_id: int) -> list[Talent]:
    get_production(session=session, production_id=production_id)
    query = select(Talent).where(Talent.production_id == production_id).order_by(col(Talent.id))
    return list(session.exec(query))
