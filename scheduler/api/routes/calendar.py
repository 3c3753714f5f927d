"""A production's timeline as files: an iCalendar feed, a CSV export, and the CSV import."""

from __future__ import annotations

import re
import unicodedata

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from scheduler.core.errors import Invalid
from scheduler.core.models import Production
from scheduler.core.schemas import Id
from scheduler.exchange.csv_import import MAX_BYTES, CsvInvalid, import_schedule
from scheduler.exchange.ical import production_calendar
from scheduler.exchange.schedule import export_schedule
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.http.problems import field_error, refused
from scheduler.planning.productions import get_production

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
def calendar_feed(production_id: Id, session: SessionDep) -> Response:
    """Milestones and live deliveries as iCalendar, for a signed-in caller. Calendar apps, which
    cannot sign in, subscribe through a link of their own (``POST …/calendar-subscriptions``)."""
    return feed_response(session, production_id)


def feed_response(session: Session, production_id: int) -> Response:
    """The production's iCalendar feed as an answer, however its reader was let in."""
    production = get_production(session=session, production_id=production_id)
    body = production_calendar(session=session, production_id=production_id)
    disposition = f'inline; filename="{file_stem(production)}.ics"'
    return Response(body, media_type=ICS_TYPE, headers={"Content-Disposition": disposition})


@router.get(
    "/{production_id}/schedule.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def schedule_csv(production_id: Id, session: SessionDep) -> Response:
    """Every delivery, cancelled ones too, as CSV; columns in ``scheduler.exchange.schedule``."""
    production = get_production(session=session, production_id=production_id)
    body = export_schedule(session=session, production_id=production_id)
    disposition = f'attachment; filename="{file_stem(production)}-schedule.csv"'
    return Response(body, media_type=CSV_TYPE, headers={"Content-Disposition": disposition})


class ScheduleImported(BaseModel):
    """The posts an import created, as drafts, in the order of their first row."""

    created: list[int]


async def _read_upload(request: Request) -> str:
    """The body as text, keeping at most ``MAX_BYTES``; a byte-order mark is tolerated.

    The rest of an oversized upload is read and dropped rather than left unread: a client still
    sending when the answer comes back would see a broken connection instead of the 422.
    """
    size, kept = 0, bytearray()
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BYTES:
            kept += chunk
    if size > MAX_BYTES:
        raise Invalid("file", f"the file is larger than {MAX_BYTES // 2**20} MB; split it")
    try:
        return kept.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "file", f"not UTF-8 text (byte {exc.start + 1}); save the sheet as CSV UTF-8"
        ) from None


def _import(session: Session, production_id: Id, text: str, access: Access) -> list[int]:
    """The import and its commit, in one worker thread: the session is not shared meanwhile."""
    writer = access.person.id if access.person is not None else None
    try:
        posts = import_schedule(
            session=session,
            production_id=production_id,
            text=text,
            actor=access.actor,
            writer_id=writer,
        )
    except BaseException:
        session.rollback()  # now, not when the request ends: on SQLite it holds the write lock
        raise
    session.commit()
    return [post.id or 0 for post in posts]


@router.post(
    "/{production_id}/schedule.csv",
    status_code=status.HTTP_201_CREATED,
    response_model=ScheduleImported,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_schedule_csv(
    production_id: Id, request: Request, session: SessionDep, access: AccessDep
) -> ScheduleImported | JSONResponse:
    """Create draft posts from a CSV (columns in ``scheduler.exchange.csv_import``), all or none.

    A file with problems is a 422 listing every one of them as ``["body", "line N", column]``.
    The body is raw CSV, so the route reads it itself and runs the service in a thread.

    ``authorize``'s queries began this request's transaction, which on SQLite holds the write
    lock (``BEGIN IMMEDIATE``). It is ended (nothing was written) before the upload streams in,
    so a slow upload does not keep every other writer waiting; the import begins its own.
    """
    await run_in_threadpool(session.commit)
    text = await _read_upload(request)
    try:
        created = await run_in_threadpool(_import, session, production_id, text, access)
    except CsvInvalid as exc:
        return refused(
            [field_error(["body", f"line {p.line}", p.column], p.message) for p in exc.problems]
        )
    return ScheduleImported(created=created)
