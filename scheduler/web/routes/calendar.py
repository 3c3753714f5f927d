"""The calendars: one production's, and every production a person can see.

An agenda (the default view: a list reads well on a phone) pages from today, ``PAGE`` rows at a
time, with "earlier" and "later"; a month (``?view=month&month=2027-03``) is a table of days.
Both show the milestones as bands (a tentative one dashed, and saying so), the blackouts and
the embargoes, and say which time zone their times are in. The rows are the agenda every face
shows (``scheduler.exchange.agenda``): each delivery with its state and the marks that say what
may stop it (embargoed, paused, tentative date, held).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from scheduler.core.clock import Clock
from scheduler.core.models import Milestone, Production, Role
from scheduler.core.schemas import Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.planning.productions import get_production
from scheduler.planning.timeline import zone
from scheduler.web.calendars import (
    WEEKDAYS,
    agenda_page,
    month_grid,
    parse_month,
    start_of,
)
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

View = Literal["agenda", "month"]
FromQuery = Annotated[str | None, Query(alias="from", max_length=40)]


@router.get("/productions/{production_id}/calendar")
def production_calendar(
    production_id: Id,
    request: Request,
    access: AccessDep,
    session: SessionDep,
    view: View = "agenda",
    month: Annotated[str | None, Query(max_length=10)] = None,
    start: FromQuery = None,
    before: Annotated[str | None, Query(max_length=40)] = None,
    moved_milestone: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    production = get_production(session=session, production_id=production_id)
    moved = session.get(Milestone, moved_milestone) if moved_milestone else None
    if moved is not None and moved.production_id != production_id:
        moved = None
    return _calendar(
        request, access, session, [production], production, view, month, start, before, moved=moved
    )


@router.get("/calendar")
def every_calendar(
    request: Request,
    access: AccessDep,
    session: SessionDep,
    view: View = "agenda",
    month: Annotated[str | None, Query(max_length=10)] = None,
    start: FromQuery = None,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Every production the person can see, as one calendar; each row names its production
    and shows its time in that production's zone (the month grid's days are UTC days)."""
    productions = _visible(session, access)
    return _calendar(request, access, session, productions, None, view, month, start, before)


def _visible(session: Session, access: Access) -> list[Production]:
    query = select(Production).order_by(col(Production.title))
    visible = access.visible()
    if visible is not None:
        query = query.where(col(Production.id).in_(visible))
    return list(session.exec(query))


def _calendar(
    request: Request,
    access: Access,
    session: Session,
    productions: list[Production],
    production: Production | None,
    view: View,
    month: str | None,
    start: str | None,
    before: str | None,
    *,
    moved: Milestone | None = None,
) -> Response:
    tz_name = production.timezone if production else "UTC"
    tz = zone(tz_name)
    today = Clock.from_settings().now().astimezone(tz).date()
    context: dict[str, Any] = {}
    if view == "month":
        context["month"] = month_grid(session, productions, parse_month(month, today), tz)
    else:
        until = start_of(before, tz, today, field="before") if before else None
        since = None if until else start_of(start, tz, today)
        context["agenda"] = agenda_page(session, productions, since=since, before=until)
    return page(
        request,
        "calendar.html",
        session=session,
        access=access,
        production=production,
        productions=productions,
        zone=tz_name,
        view=view,
        weekdays=WEEKDAYS,
        today=today,
        movers={p.id for p in productions if access.allows(p.id or 0, Role.marketer)},
        planners={p.id for p in productions if access.allows(p.id or 0, Role.producer)},
        moved_milestone=moved,
        moved_post=_number(request.query_params.get("moved_post")),
        **context,
    )


def _number(text: str | None) -> int | None:
    """A post number from the query string, shown only as the number it is."""
    return int(text) if text and text.isdigit() and len(text) < 12 else None
