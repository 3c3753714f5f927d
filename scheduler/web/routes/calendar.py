"""A production's calendar: its agenda, milestones and posts in time order, in the
production's time zone (the default view: a list reads well on a phone).

The rows are the agenda every face shows (``scheduler.exchange.agenda``): each delivery with
its state and the marks that say what may stop it (embargoed, paused, tentative date, held).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from scheduler.core.schemas import Id
from scheduler.exchange.agenda import timeline_rows
from scheduler.http.access import AccessDep
from scheduler.http.deps import SessionDep
from scheduler.planning.productions import get_production
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)


@router.get("/productions/{production_id}/calendar")
def agenda(production_id: Id, request: Request, access: AccessDep, session: SessionDep) -> Response:
    production = get_production(session=session, production_id=production_id)
    rows = timeline_rows(session=session, production_id=production_id)
    return page(
        request,
        "calendar.html",
        session=session,
        access=access,
        production=production,
        rows=rows,
    )
