"""Read-only views of a production's timeline: an iCalendar feed and a CSV export."""

from __future__ import annotations

import re
import unicodedata

from fastapi import APIRouter, Response

from scheduler.api.deps import SessionDep
from scheduler.calendar_feed import production_calendar
from scheduler.models import Production
from scheduler.productions import get_production
from scheduler.schedule_csv import export_schedule

router = APIRouter(prefix="/productions", tags=["calendar"])

ICS_TYPE = "text/calendar; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"


def file_stem(production: Production) -> str:
    """A file name from the title, ASCII letters, digits and dashes only.

    The title is user text and ends up in a ``Content-Disposition`` header: reducing it to this
    alphabet rules out quotes, semicolons and line breaks there, and keeps it a safe file name.
    """
    ascii_title = unicodedata.normalize("NFKD", production.title).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.decode().lower()).strip("-")[:60].strip("-")
    return slug or f"production-{production.id}"


@router.get(
    "/{production_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def calendar_feed(production_id: int, session: SessionDep) -> Response:
    """Milestones and live deliveries as iCalendar, to subscribe to from a calendar app."""
    production = get_production(session=session, production_id=production_id)
    body = production_calendar(session=session, production_id=production_id)
    disposition = f'inline; filename="{file_stem(production)}.ics"'
    return Response(body, media_type=ICS_TYPE, headers={"Content-Disposition": disposition})


@router.get(
    "/{production_id}/schedule.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def schedule_csv(production_id: int, session: SessionDep) -> Response:
    """Every delivery, cancelled ones too, as CSV; columns in ``scheduler.schedule_csv``."""
    production = get_production(session=session, production_id=production_id)
    body = export_schedule(session=session, production_id=production_id)
    disposition = f'attachment; filename="{file_stem(production)}-schedule.csv"'
    return Response(body, media_type=CSV_TYPE, headers={"Content-Disposition": disposition})
